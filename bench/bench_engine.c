/* make bench: the template engine's throughput on a realistic Deployment template with
 * 10,000 different value sets, next to a plain memcpy of the same bytes in the same
 * run. Figures are medians of several runs; the ratio is what to compare across
 * machines, the absolute numbers only on one. */
#define _GNU_SOURCE
#include "arena.h"
#include "buf.h"
#include "document.h"
#include "error.h"
#include "template.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CUSTOMERS 10000
#define RUNS 7

static const char deployment[] =
	"apiVersion: apps/v1\n"
	"kind: Deployment\n"
	"metadata:\n"
	"  name: {{id}}\n"
	"  namespace: customer-{{id}}\n"
	"  labels:\n"
	"    app.kubernetes.io/name: {{id}}\n"
	"    app.kubernetes.io/part-of: lunarfront\n"
	"    lunarfront.io/plan: {{plan}}\n"
	"spec:\n"
	"  replicas: {{replicas}}\n"
	"  revisionHistoryLimit: 3\n"
	"  selector:\n"
	"    matchLabels:\n"
	"      app.kubernetes.io/name: {{id}}\n"
	"  template:\n"
	"    metadata:\n"
	"      labels:\n"
	"        app.kubernetes.io/name: {{id}}\n"
	"      annotations:\n"
	"        checksum/config: \"{{config_hash}}\"\n"
	"    spec:\n"
	"      runtimeClassName: gvisor\n"
	"      nodeSelector:\n"
	"        doks.digitalocean.com/node-pool: {{pool}}\n"
	"      tolerations:\n"
	"      - key: workload\n"
	"        operator: Equal\n"
	"        value: {{pool}}\n"
	"        effect: NoSchedule\n"
	"      securityContext:\n"
	"        runAsNonRoot: true\n"
	"        runAsUser: 1000\n"
	"        fsGroup: 1000\n"
	"        seccompProfile:\n"
	"          type: RuntimeDefault\n"
	"      containers:\n"
	"      - name: app\n"
	"        image: \"{{registry}}/{{image.repository}}:{{image.tag}}\"\n"
	"        imagePullPolicy: IfNotPresent\n"
	"        ports:\n"
	"        - name: http\n"
	"          containerPort: 3000\n"
	"        env:\n"
	"        - name: CUSTOMER_ID\n"
	"          value: {{id}}\n"
	"        - name: DATABASE_NAME\n"
	"          value: {{database}}\n"
	"        - name: VALKEY_PREFIX\n"
	"          value: \"{{id}}:\"\n"
	"        {{#env}}\n"
	"        - name: {{name}}\n"
	"          value: {{value}}\n"
	"        {{/env}}\n"
	"        envFrom:\n"
	"        - secretRef:\n"
	"            name: {{id}}-secrets\n"
	"        resources:\n"
	"          requests:\n"
	"            cpu: {{resources.cpu}}\n"
	"            memory: {{resources.memory}}\n"
	"          limits:\n"
	"            memory: {{resources.memory}}\n"
	"        readinessProbe:\n"
	"          httpGet:\n"
	"            path: /healthz\n"
	"            port: http\n"
	"          periodSeconds: 10\n"
	"        livenessProbe:\n"
	"          httpGet:\n"
	"            path: /healthz\n"
	"            port: http\n"
	"          initialDelaySeconds: 15\n"
	"        securityContext:\n"
	"          allowPrivilegeEscalation: false\n"
	"          readOnlyRootFilesystem: true\n"
	"          capabilities:\n"
	"            drop: [ALL]\n"
	"        # hosts: {{#hosts}}{{.}} {{/hosts}}\n";

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof *v, compare_double);
	return v[n / 2];
}

int main(void)
{
	static const char *const plans[] = { "starter", "standard", "business" };
	static const char *const cpus[] = { "100m", "250m", "500m" };
	static const char *const memories[] = { "256Mi", "512Mi", "1Gi" };
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value **data = malloc(CUSTOMERS * sizeof *data);
	struct buf text = BUF_INIT;
	for (int i = 0; i < CUSTOMERS; i++) {
		int p = i % 3;
		buf_clear(&text);
		buf_printf(&text,
			   "id: customer-%05d\nplan: %s\nreplicas: %d\nconfig_hash: %016llx%016llx\n"
			   "pool: %s\nregistry: registry.digitalocean.com/lunarfront\n"
			   "image: {repository: app, tag: \"0.%d.%d\"}\ndatabase: customer_%05d\n"
			   "resources: {cpu: %s, memory: %s}\n"
			   "env:\n  - {name: NODE_ENV, value: production}\n  - {name: LOG_LEVEL, value: %s}\n"
			   "  - {name: FEATURE_FLAGS, value: \"a,b: c\"}\n"
			   "hosts: [customer-%05d.lunarfront.io, shop%d.example.com]\n",
			   i, plans[p], p + 1, (unsigned long long)i * 0x9e3779b97f4a7c15ull,
			   (unsigned long long)~i, p == 2 ? "dedicated" : "shared", i % 50, i % 7, i,
			   cpus[p], memories[p], i % 2 ? "info" : "debug", i, i);
		if (document_load_string(&arena, text.ptr, text.len, "bench.yaml", NULL, &data[i], &err) < 0) {
			fprintf(stderr, "bench data: %s\n", err.message);
			return 1;
		}
	}
	buf_release(&text);

	struct tmpl_options opts = { TMPL_FORMAT_YAML, 1, NULL, NULL };
	struct tmpl_set *set = tmpl_set_new(&opts);
	const struct tmpl *t;
	if (tmpl_compile(set, "deployment.yaml", deployment, sizeof deployment - 1, &t, &err) < 0) {
		fprintf(stderr, "bench template: %s\n", err.message);
		return 1;
	}

	/* every output, kept, for the memcpy baseline and as a check of the engine runs */
	struct buf all = BUF_INIT;
	size_t *sizes = malloc(CUSTOMERS * sizeof *sizes);
	for (int i = 0; i < CUSTOMERS; i++) {
		size_t before = all.len;
		if (tmpl_render(t, data[i], &all, &err) < 0) {
			fprintf(stderr, "bench render: %s\n", err.message);
			return 1;
		}
		sizes[i] = all.len - before;
	}
	double engine[RUNS], copy[RUNS];
	char *dest = malloc(all.len);
	struct buf out = BUF_INIT;
	buf_grow(&out, 65536);
	size_t checksum = 0;
	for (int run = 0; run < RUNS; run++) {
		double start = now_seconds();
		for (int i = 0; i < CUSTOMERS; i++) {
			buf_clear(&out);
			tmpl_render(t, data[i], &out, &err);
			checksum += out.len;
		}
		engine[run] = now_seconds() - start;

		start = now_seconds();
		size_t offset = 0;
		for (int i = 0; i < CUSTOMERS; i++) {
			memcpy(dest + offset, all.ptr + offset, sizes[i]);
			offset += sizes[i];
		}
		__asm__ volatile("" : : "r"(dest) : "memory");
		copy[run] = now_seconds() - start;
	}
	if (checksum != all.len * RUNS) {
		fprintf(stderr, "bench: renders differ between runs\n");
		return 1;
	}
	double mb = (double)all.len / 1e6;
	double engine_s = median(engine, RUNS), copy_s = median(copy, RUNS);
	printf("engine: %d renders of a Deployment template, %.1f MB of YAML output, median of %d runs\n",
	       CUSTOMERS, mb, RUNS);
	printf("  engine  %8.1f ms  %8.1f MB/s  %6.3f ms per MB\n", engine_s * 1e3, mb / engine_s,
	       engine_s * 1e3 / mb);
	printf("  memcpy  %8.3f ms  %8.1f MB/s  (same bytes, same chunks, same run)\n", copy_s * 1e3,
	       mb / copy_s);
	printf("  engine / memcpy time: %.1fx\n", engine_s / copy_s);

	free(dest);
	free(sizes);
	free(data);
	buf_release(&out);
	buf_release(&all);
	tmpl_set_free(set);
	arena_release(&arena);
	return 0;
}
