/* `stamp diff`: the difference of the rendered output between a revision (read from the
 * git object store, no checkout) and the working tree, grouped by customer, as a
 * unified diff, a pull-request comment in Markdown, or JSON for bots. Writes nothing.
 *
 * The Markdown stays under the 65,536 characters a pull-request comment accepts: the
 * summary table and the per-file diffs are cut where they would not fit, and a note
 * says exactly what was left out. */
#include "buf.h"
#include "channel.h"
#include "cli.h"
#include "diff.h"
#include "error.h"
#include "escape.h"
#include "gitrepo.h"
#include "source.h"

#include <stdio.h>
#include <string.h>

#define DIFF_COMMENT_LIMIT 65536

enum diff_format { FORMAT_TEXT, FORMAT_MARKDOWN, FORMAT_JSON };

static const char *const status_names[] = { "added", "changed", "removed" };

static const char *group_name(const struct diff_group *g)
{
	return g->customer ? g->customer : "all customers";
}

/* A patch with git's colours, line by line. */
static void diff_print_patch(const struct buf *patch, int color)
{
	const char *p = patch->ptr ? patch->ptr : "";
	const char *end = p + patch->len;
	int in_header = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		const char *on = "";
		if (color) {
			if (len >= 2 && p[0] == '@' && p[1] == '@') {
				in_header = 0;
				on = "\033[36m";
			} else if (strncmp(p, "diff --git", 10) == 0) {
				in_header = 1;
				on = "\033[1m";
			} else if (in_header) {
				on = "\033[1m";
			} else if (p[0] == '+') {
				on = "\033[32m";
			} else if (p[0] == '-') {
				on = "\033[31m";
			}
		}
		if (*on) {
			size_t body = len && p[len - 1] == '\n' ? len - 1 : len;
			printf("%s%.*s\033[m%s", on, (int)body, p, body < len ? "\n" : "");
		} else {
			fwrite(p, 1, len, stdout);
		}
		p += len;
	}
}

/* What a removal means, said wherever one is shown: in GitOps it deletes a live
 * customer, which must be impossible to miss in a review. */
#define DIFF_REMOVAL_MEANS "its namespace, database and DNS name go when this is deployed"

static void diff_print_text(const struct diff *d, int color)
{
	for (size_t i = 0; i < d->channel_count; i++) {
		if (!d->channels[i].moved || !d->channels[i].customers)
			continue;
		struct buf line = BUF_INIT;
		channels_describe_promotion(&line, d->channels[i].name, d->channels[i].sha, d->channels[i].revision,
					    d->channels[i].customers);
		printf("%s# %s%s\n", color ? "\033[1m" : "", line.ptr, color ? "\033[m" : "");
		buf_release(&line);
	}
	for (size_t i = 0; i < d->count; i++) {
		const struct diff_group *g = &d->groups[i];
		if (g->customer_removed)
			printf("%s# WARNING: customer %s is removed: " DIFF_REMOVAL_MEANS "%s\n", color ? "\033[1;31m" : "",
			       g->customer, color ? "\033[m" : "");
	}
	for (size_t i = 0; i < d->count; i++) {
		const struct diff_group *g = &d->groups[i];
		printf("%s# %s%s%s%s%s: %zu added, %zu changed, %zu removed (+%zu -%zu)%s\n", color ? "\033[33m" : "",
		       group_name(g), g->channel ? " [" : "", g->channel ? g->channel : "", g->channel ? "]" : "",
		       g->customer_removed ? " (customer removed)" : "", g->added, g->changed, g->removed,
		       g->additions, g->deletions, color ? "\033[m" : "");
		for (size_t k = 0; k < g->count; k++)
			diff_print_patch(&g->files[k].patch, color);
	}
}

/* A code fence longer than any run of backticks in the text, so the text cannot end it. */
static size_t diff_fence_length(const struct buf *text)
{
	size_t longest = 0, run = 0;
	for (size_t i = 0; i < text->len; i++) {
		run = text->ptr[i] == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	return longest >= 3 ? longest + 1 : 3;
}

static void diff_print_markdown(const struct diff *d, const char *base)
{
	struct buf out = BUF_INIT, code = BUF_INIT;
	escape_html(&code, base, strlen(base));
	buf_printf(&out, "### stamp diff: <code>%s</code> → working tree\n\n", code.ptr);
	if (!d->count) {
		buf_add_str(&out, "No change to the rendered output.\n");
		fwrite(out.ptr, 1, out.len, stdout);
		buf_release(&out);
		buf_release(&code);
		return;
	}
	size_t customers = 0;
	for (size_t i = 0; i < d->count; i++)
		customers += d->groups[i].customer != NULL;
	buf_printf(&out, "%zu customer%s changed; %zu file%s: %zu added, %zu changed, %zu removed; "
		   "+%zu -%zu lines.\n\n", customers, customers == 1 ? "" : "s", d->files, d->files == 1 ? "" : "s",
		   d->added, d->changed, d->removed, d->additions, d->deletions);
	for (size_t i = 0; i < d->channel_count; i++) {
		if (!d->channels[i].moved || !d->channels[i].customers)
			continue;
		struct buf line = BUF_INIT, html = BUF_INIT;
		channels_describe_promotion(&line, d->channels[i].name, d->channels[i].sha, d->channels[i].revision,
					    d->channels[i].customers);
		escape_html(&html, line.ptr, line.len);
		buf_printf(&out, "**%s**\n\n", html.ptr);
		buf_release(&line);
		buf_release(&html);
	}
	if (d->customers_removed) {
		buf_printf(&out, "> [!WARNING]\n> **Removes %zu customer%s:", d->customers_removed,
			   d->customers_removed == 1 ? "" : "s");
		size_t listed = 0;
		for (size_t i = 0; i < d->count && listed < 50; i++) {
			if (!d->groups[i].customer_removed)
				continue;
			struct buf name = BUF_INIT;
			escape_html(&name, d->groups[i].customer, strlen(d->groups[i].customer));
			buf_printf(&out, "%s `%s`", listed ? "," : "", name.ptr);
			buf_release(&name);
			listed++;
		}
		if (listed < d->customers_removed)
			buf_printf(&out, " and %zu more", d->customers_removed - listed);
		buf_add_str(&out, "**: " DIFF_REMOVAL_MEANS ".\n\n");
	}
	/* room for the note on what was cut */
	const size_t limit = DIFF_COMMENT_LIMIT - 600;
	buf_add_str(&out, "| customer | added | changed | removed | lines |\n|:--|--:|--:|--:|--:|\n");
	size_t rows = 0;
	for (size_t i = 0; i < d->count; i++) {
		const struct diff_group *g = &d->groups[i];
		struct buf row = BUF_INIT;
		buf_printf(&row, "| %s%s%s%s | %zu | %zu | %zu | +%zu -%zu |\n", g->customer ? "`" : "_", group_name(g),
			   g->customer ? "`" : "_", g->customer_removed ? " **removed**" : "", g->added, g->changed,
			   g->removed, g->additions, g->deletions);
		int fits = out.len + row.len <= limit;
		if (fits) {
			buf_add(&out, row.ptr, row.len);
			rows++;
		}
		buf_release(&row);
		if (!fits)
			break;
	}
	buf_add_char(&out, '\n');
	size_t shown = 0;
	int full = 0;
	for (size_t i = 0; i < d->count && !full; i++) {
		const struct diff_group *g = &d->groups[i];
		for (size_t k = 0; k < g->count; k++) {
			const struct diff_file *f = &g->files[k];
			struct buf block = BUF_INIT, path = BUF_INIT;
			escape_html(&path, f->path, strlen(f->path));
			size_t fence = diff_fence_length(&f->patch);
			buf_printf(&block, "<details><summary><code>%s</code> %s, +%zu -%zu</summary>\n\n", path.ptr,
				   status_names[f->status], f->additions, f->deletions);
			buf_add_repeat(&block, '`', fence);
			buf_add_str(&block, "diff\n");
			buf_add(&block, f->patch.ptr ? f->patch.ptr : "", f->patch.len);
			if (f->patch.len && f->patch.ptr[f->patch.len - 1] != '\n')
				buf_add_char(&block, '\n');
			buf_add_repeat(&block, '`', fence);
			buf_add_str(&block, "\n\n</details>\n\n");
			if (out.len + block.len <= limit) {
				buf_add(&out, block.ptr, block.len);
				shown++;
			} else {
				full = 1;
			}
			buf_release(&block);
			buf_release(&path);
			if (full)
				break;
		}
	}
	if (rows < d->count || shown < d->files)
		buf_printf(&out, "> **Cut to fit a pull-request comment (%d characters):** the table shows %zu of %zu "
			   "rows and %zu of %zu file diffs are included. Run <code>stamp diff --base %s</code> for the "
			   "whole diff.\n", DIFF_COMMENT_LIMIT, rows, d->count, shown, d->files, code.ptr);
	fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	buf_release(&code);
}

static int diff_json_string(struct buf *out, const char *s, size_t len)
{
	const char *why = NULL;
	buf_add_char(out, '"');
	if (escape_json_string(out, s, len, &why) < 0)
		return -1;
	buf_add_char(out, '"');
	return 0;
}

static int diff_print_json(const struct diff *d, const char *base)
{
	struct buf out = BUF_INIT;
	size_t customers = 0;
	for (size_t i = 0; i < d->count; i++)
		customers += d->groups[i].customer != NULL;
	int rc = 0;
	buf_add_str(&out, "{\"base\":");
	rc |= diff_json_string(&out, base, strlen(base));
	buf_printf(&out, ",\"head\":\"working tree\",\"changed\":%s,\"totals\":{\"customers\":%zu,\"files\":%zu,"
		   "\"added\":%zu,\"changed\":%zu,\"removed\":%zu,\"additions\":%zu,\"deletions\":%zu}",
		   d->count ? "true" : "false", customers, d->files, d->added, d->changed, d->removed, d->additions,
		   d->deletions);
	/* before the groups: the removals, which a bot must not miss */
	buf_add_str(&out, ",\"removed_customers\":[");
	for (size_t i = 0, n = 0; i < d->count; i++) {
		if (!d->groups[i].customer_removed)
			continue;
		if (n++)
			buf_add_char(&out, ',');
		rc |= diff_json_string(&out, d->groups[i].customer, strlen(d->groups[i].customer));
	}
	buf_add_str(&out, "],\"channels\":[");
	for (size_t i = 0; i < d->channel_count; i++) {
		const struct diff_channel *c = &d->channels[i];
		buf_add_str(&out, i ? ",{\"name\":" : "{\"name\":");
		rc |= diff_json_string(&out, c->name, strlen(c->name));
		buf_add_str(&out, ",\"revision\":");
		rc |= diff_json_string(&out, c->revision, strlen(c->revision));
		buf_add_str(&out, ",\"commit\":");
		if (*c->sha)
			rc |= diff_json_string(&out, c->sha, strlen(c->sha));
		else
			buf_add_str(&out, "null");
		buf_printf(&out, ",\"moved\":%s,\"customers\":%zu}", c->moved ? "true" : "false", c->customers);
	}
	buf_add_str(&out, "],\"groups\":[");
	for (size_t i = 0; i < d->count; i++) {
		const struct diff_group *g = &d->groups[i];
		buf_add_str(&out, i ? ",{\"customer\":" : "{\"customer\":");
		if (g->customer)
			rc |= diff_json_string(&out, g->customer, strlen(g->customer));
		else
			buf_add_str(&out, "null");
		buf_add_str(&out, ",\"channel\":");
		if (g->channel)
			rc |= diff_json_string(&out, g->channel, strlen(g->channel));
		else
			buf_add_str(&out, "null");
		buf_printf(&out, ",\"customer_removed\":%s,\"added\":%zu,\"changed\":%zu,\"removed\":%zu,\"additions\":%zu,"
			   "\"deletions\":%zu,\"files\":[", g->customer_removed ? "true" : "false", g->added, g->changed,
			   g->removed, g->additions, g->deletions);
		for (size_t k = 0; k < g->count; k++) {
			const struct diff_file *f = &g->files[k];
			buf_add_str(&out, k ? ",{\"path\":" : "{\"path\":");
			rc |= diff_json_string(&out, f->path, strlen(f->path));
			buf_printf(&out, ",\"status\":\"%s\",\"additions\":%zu,\"deletions\":%zu,\"patch\":",
				   status_names[f->status], f->additions, f->deletions);
			rc |= diff_json_string(&out, f->patch.ptr ? f->patch.ptr : "", f->patch.len);
			buf_add_char(&out, '}');
		}
		buf_add_str(&out, "]}");
	}
	buf_add_str(&out, "]}\n");
	if (rc == 0)
		fwrite(out.ptr, 1, out.len, stdout);
	buf_release(&out);
	return rc;
}

static int diff_run(const struct cli *cli, const struct cli_repository *repo, const char *base, enum diff_format format,
		    int exit_code, int no_pager)
{
	struct error err = ERROR_INIT;
	struct gitrepo r;
	if (gitrepo_open(&r, repo->path, &err) < 0) {
		cli_print_error(cli, &err);
		error_clear(&err);
		return CLI_USAGE;
	}
	struct source revision;
	int rc = source_git_open(&revision, &r, base, &err);
	if (rc < 0) {
		cli_print_error(cli, &err);
		error_clear(&err);
		gitrepo_close(&r);
		return CLI_USAGE;
	}
	if (rc > 0 && !cli->quiet)
		fprintf(stderr, "stamp: note: %s has no %stemplates/stamp.yaml; everything rendered counts as added\n", base,
			r.prefix);
	struct diff d;
	rc = diff_compute(&d, rc == 0 ? &revision : NULL, repo->source, cli->jobs);
	int status = CLI_OK;
	if (rc != 0) {
		cli_print_errors(cli, &d.errors);
		if (rc > 0)
			fprintf(stderr, "stamp: %zu error%s; nothing to compare\n", d.errors.count,
				d.errors.count == 1 ? "" : "s");
		status = rc > 0 ? CLI_INVALID : CLI_USAGE;
	} else {
		if (format == FORMAT_TEXT) {
			struct cli_pager pager;
			cli_pager_start(cli, &pager, !no_pager && d.count);
			diff_print_text(&d, pager.color);
			cli_pager_stop(&pager);
		} else if (format == FORMAT_MARKDOWN) {
			diff_print_markdown(&d, base);
		} else if (diff_print_json(&d, base) < 0) {
			cli_error("a rendered file is not valid UTF-8 and cannot be shown in JSON");
			status = CLI_USAGE;
		}
		if (status == CLI_OK && exit_code && d.count)
			status = CLI_INVALID;
	}
	fflush(stdout);
	diff_release(&d);
	source_git_close(&revision);
	gitrepo_close(&r);
	return status;
}

int cmd_diff(struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = {
		{ "--base", 1, NULL, 0 }, { "--format", 1, NULL, 0 }, { "--exit-code", 0, NULL, 0 },
		{ "--no-pager", 0, NULL, 0 },
	};
	/* stamp diff REV is stamp diff --base REV, as git diff REV compares with REV */
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 4, positional, 1, &count) < 0)
		return CLI_USAGE;
	if (count && options[0].value) {
		cli_error("a revision is given twice ('%s' and --base %s); give one", positional[0],
				options[0].value);
		return CLI_USAGE;
	}
	const char *base = options[0].value ? options[0].value : count ? positional[0] : "HEAD";
	static const char *const formats[] = { "text", "markdown", "json" };
	int k = cli_choice("--format", options[1].value ? options[1].value : "text", formats, 3);
	if (k < 0)
		return CLI_USAGE;
	enum diff_format format = k == 0 ? FORMAT_TEXT : k == 1 ? FORMAT_MARKDOWN : FORMAT_JSON;
	struct cli_repository repo;
	if (cli_open_repository(cli, &repo) < 0)
		return CLI_USAGE;
	int status = diff_run(cli, &repo, base, format, options[2].seen, options[3].seen);
	cli_close_repository(&repo);
	return status;
}
