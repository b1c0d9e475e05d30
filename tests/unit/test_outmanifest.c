/* The out/ path rule and the manifest parser: every hostile path is refused, a damaged
 * manifest is refused whole (never partly trusted), and what is accepted formats back
 * to the same text. */
#include "test.h"

#include "buf.h"
#include "error.h"
#include "outmanifest.h"
#include "outpath.h"

#include <stdlib.h>

static const char header[] = "stamp-manifest 1\nversion 1.0.0\nset 0123456789abcdef0123456789abcdef\n";

static int parses(const char *body, struct outmanifest *m, struct error *err)
{
	struct buf text = BUF_INIT;
	buf_add_str(&text, header);
	buf_add_str(&text, body);
	return outmanifest_parse(m, buf_detach(&text, NULL), "out/.stamp-manifest", err);
}

static void check_paths(void)
{
	static const char *const good[] = { "customers/acme/deployment.yaml", "apps/acme.yaml", "a", "a/b.c/d",
					    "x..y/z", "customers/acme/.hidden" };
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		CHECK_MSG(outpath_problem(good[i], strlen(good[i])) == NULL, "%s refused", good[i]);
	static const char *const bad[] = { "", "/etc/passwd", "../x", "a/../../x", "a/..", "./a", "a/./b", "a//b",
					   "a/", ".stamp-manifest", ".git/config", "a\nb", "a\tb", "a\x7f" "b",
					   "a\x1b[31m" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK_MSG(outpath_problem(bad[i], strlen(bad[i])) != NULL, "\"%s\" accepted", bad[i]);
	CHECK(outpath_problem("a\0b", 3) != NULL); /* a NUL inside */
	char longseg[300];
	memset(longseg, 'x', sizeof longseg - 1);
	longseg[sizeof longseg - 1] = 0;
	CHECK(outpath_problem(longseg, strlen(longseg)) != NULL);
}

static void check_parse(void)
{
	struct outmanifest m;
	struct error err = ERROR_INIT;
	CHECK(parses("customer zeta 0123456789abcdef0123456789abcdef\n"
		     "customer acme 0123456789abcdef0123456789abcdef m1 sid sacme\n"
		     "file 0123456789abcdef0123456789abcdef acme customers/acme/b.yaml\n"
		     "file 0123456789abcdef0123456789abcdef - apps/kustomization.yaml\n", &m, &err) == 0);
	CHECK(m.file_count == 2 && m.customer_count == 2);
	CHECK_STR(m.files[0].path, "apps/kustomization.yaml"); /* sorted on parse */
	CHECK_STR(m.customers[0].id, "acme");
	/* a summary is the rest of the line, kept as it is; format 1 had none */
	CHECK(m.customers[0].summary && m.customers[0].summary_len == 12 &&
	      memcmp(m.customers[0].summary, "m1 sid sacme", 12) == 0);
	CHECK(m.customers[1].summary == NULL);
	CHECK(outmanifest_file(&m, "customers/acme/b.yaml") != NULL);
	CHECK(outmanifest_file(&m, "customers/acme/c.yaml") == NULL);
	struct buf text = BUF_INIT;
	outmanifest_format(&m, &text);
	CHECK_STR(text.ptr, "stamp-manifest 2\nversion 1.0.0\nset 0123456789abcdef0123456789abcdef\n"
		  "customer acme 0123456789abcdef0123456789abcdef m1 sid sacme\ncustomer zeta 0123456789abcdef0123456789abcdef\n"
		  "file 0123456789abcdef0123456789abcdef - apps/kustomization.yaml\n"
		  "file 0123456789abcdef0123456789abcdef acme customers/acme/b.yaml\n");
	buf_release(&text);
	outmanifest_release(&m);

	/* each of these damages the whole manifest, at its line */
	static const struct {
		const char *body;
		unsigned line;
	} damaged[] = {
		{ "file 0123456789abcdef0123456789abcdef acme ../../x\n", 4 },
		{ "customer acme 0123456789abcdef0123456789abcdefm1 sid sacme\n", 4 },
		{ "customer acme0123456789abcdef0123456789abcdef\n", 4 },
		{ "customer ac\tme 0123456789abcdef0123456789abcdef m1\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef acme /etc/passwd\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef acme customers//x\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef acme .stamp-manifest.lock\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef ../acme customers/x\n", 4 },
		{ "file 0123456789abcdef0123456789abcdeg acme customers/x\n", 4 },
		{ "file 0123456789ABCDEF0123456789abcdef acme customers/x\n", 4 },
		{ "file 0123456789abcdef0123456789abcde/ acme customers/x\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef acme\n", 4 },
		{ "customer ../acme 0123456789abcdef0123456789abcdef\n", 4 },
		{ "customer acme\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef acme customers/x\nnonsense\n", 5 },
		{ "version 2.0.0\n", 4 },
		{ "file 0123456789abcdef0123456789abcdef acme a\nfile 0123456789abcdef0123456789abcdef acme a\n", 0 },
	};
	for (size_t i = 0; i < sizeof damaged / sizeof *damaged; i++) {
		int rc = parses(damaged[i].body, &m, &err);
		CHECK_MSG(rc < 0, "accepted: %s", damaged[i].body);
		CHECK_MSG(err.message && strstr(err.message, "the manifest is damaged"), "%s", err.message);
		CHECK_MSG(err.line == damaged[i].line, "line %u, want %u for %s", err.line, damaged[i].line,
			  damaged[i].body);
		CHECK(m.files == NULL && m.text == NULL); /* nothing of it is kept */
		error_clear(&err);
	}
	char *bad = malloc(32);
	strcpy(bad, "not a manifest\n");
	CHECK(outmanifest_parse(&m, bad, "x", &err) < 0 && err.line == 1);
	error_clear(&err);
	bad = malloc(4);
	strcpy(bad, "");
	CHECK(outmanifest_parse(&m, bad, "x", &err) < 0);
	error_clear(&err);
	bad = malloc(32);
	strcpy(bad, "stamp-manifest 1\n");
	CHECK(outmanifest_parse(&m, bad, "x", &err) < 0); /* cut before version and set */
	error_clear(&err);
}

/* The text formatted a piece at a time (as a render writes it) is the text formatted
 * whole (as stamp commit keeps it), over pieces that end in the customers, in the files
 * and at the boundary between them. */
static void check_file_at(const void *data, size_t i, struct outmanifest_file *out)
{
	*out = ((const struct outmanifest *)data)->files[i];
}

static void check_pieces(void)
{
	struct outmanifest m = { 0 };
	m.version = "1.0.0";
	m.customer_count = 3000;
	m.file_count = 60000;
	m.customers = calloc(m.customer_count, sizeof *m.customers);
	m.files = calloc(m.file_count, sizeof *m.files);
	char *names = calloc(m.customer_count + m.file_count, 64);
	for (size_t i = 0; i < m.customer_count; i++) {
		char *id = names + 64 * i;
		snprintf(id, 64, "c%06zu", i);
		m.customers[i].id = id;
		m.customers[i].input.low = i;
		m.customers[i].summary = i % 3 ? "m1 sid sc000000 shosts l1 sa-rather-long-host-name.example.com" : NULL;
		m.customers[i].summary_len = i % 3 ? strlen(m.customers[i].summary) : 0;
	}
	for (size_t i = 0; i < m.file_count; i++) {
		char *path = names + 64 * (m.customer_count + i);
		snprintf(path, 64, "customers/c%06zu/file-%zu.yaml", i / 20, i % 20);
		m.files[i].path = path;
		m.files[i].owner = m.customers[i / 20].id;
		m.files[i].hash.high = i * 2654435761u;
	}
	struct buf whole = BUF_INIT, pieces = BUF_INIT, piece = BUF_INIT;
	outmanifest_format(&m, &whole);
	size_t at = 0, count = 0;
	int more = 1;
	while (more && count < 1000) {
		buf_clear(&piece);
		more = outmanifest_format_next(&m, &at, &piece);
		CHECK_MSG(piece.len <= OUTMANIFEST_PIECE + 200, "a piece of %zu bytes", piece.len);
		CHECK(piece.len == 0 || piece.ptr[piece.len - 1] == '\n'); /* whole lines */
		buf_add(&pieces, piece.ptr, piece.len);
		count++;
	}
	CHECK_MSG(count > 10, "only %zu pieces", count);
	CHECK(whole.len > 4 * 1024 * 1024 && whole.len == pieces.len && memcmp(whole.ptr, pieces.ptr, whole.len) == 0);

	/* the same files given one at a time (outmanifest.file_at), as a render gives its
	 * plan's: the same text */
	struct outmanifest by_one = m;
	by_one.files = NULL;
	by_one.file_at = check_file_at;
	by_one.file_data = &m;
	struct buf again = BUF_INIT;
	outmanifest_format(&by_one, &again);
	CHECK(again.len == whole.len && memcmp(again.ptr, whole.ptr, whole.len) == 0);
	buf_release(&again);

	/* parsed back, the strings are moved down over the words and hex hashes the records
	 * hold in binary (an owner repeated from the file before is kept once), and the text
	 * shrinks to them: what it formats is the text it was parsed from (once in path
	 * order: file-10 sorts before file-2) */
	struct outmanifest parsed;
	struct error err = ERROR_INIT;
	char *copy = malloc(whole.len + 1);
	memcpy(copy, whole.ptr, whole.len + 1);
	CHECK(outmanifest_parse(&parsed, copy, "m", &err) == 0);
	buf_clear(&whole);
	outmanifest_format(&parsed, &whole);
	outmanifest_release(&parsed);
	copy = malloc(whole.len + 1);
	memcpy(copy, whole.ptr, whole.len + 1);
	CHECK(outmanifest_parse(&parsed, copy, "m", &err) == 0);
	size_t end = 0;
	for (size_t i = 0; i < parsed.file_count; i++) {
		size_t at_path = (size_t)(parsed.files[i].path - parsed.text) + strlen(parsed.files[i].path);
		size_t at_owner = (size_t)(parsed.files[i].owner - parsed.text) + strlen(parsed.files[i].owner);
		end = at_path > end ? at_path : end;
		end = at_owner > end ? at_owner : end;
	}
	CHECK_MSG(end < whole.len / 2, "the strings end at %zu of %zu bytes", end, whole.len);
	CHECK(parsed.file_count > 1 && parsed.files[0].owner == parsed.files[1].owner);
	struct buf reparsed = BUF_INIT;
	outmanifest_format(&parsed, &reparsed);
	CHECK(reparsed.len == whole.len && memcmp(reparsed.ptr, whole.ptr, whole.len) == 0);
	buf_release(&reparsed);
	outmanifest_release(&parsed);
	error_clear(&err);
	buf_release(&whole);
	buf_release(&pieces);
	buf_release(&piece);
	free(names);
	free(m.customers);
	free(m.files);
}

/* Channels: each channel's set and commit, and the channel each customer followed, read
 * back as written; a malformed or repeated channel line refuses the whole manifest. */
static void check_channels(void)
{
	static const char body[] = "channel stable 00112233445566778899aabbccddeeff 9309b8e1c0a4f2d6e8b7a5c3d1e0f9a8b7c6d5e4\n"
				   "channel canary ffeeddccbbaa99887766554433221100 WORKTREE\n"
				   "customer acme 0123456789abcdef0123456789abcdef ^stable m1 sid sacme\n"
				   "customer zeta 0123456789abcdef0123456789abcdef ^canary\n"
				   "customer beta 0123456789abcdef0123456789abcdef\n";
	struct outmanifest m;
	struct error err = ERROR_INIT;
	CHECK(parses(body, &m, &err) == 0);
	CHECK(m.channel_count == 2);
	const struct outmanifest_channel *stable = outmanifest_channel(&m, "stable");
	CHECK(stable && strcmp(stable->commit, "9309b8e1c0a4f2d6e8b7a5c3d1e0f9a8b7c6d5e4") == 0);
	CHECK(outmanifest_channel(&m, "canary") && strcmp(outmanifest_channel(&m, "canary")->commit, "WORKTREE") == 0);
	CHECK(outmanifest_channel(&m, "beta") == NULL);
	const struct outmanifest_customer *acme = outmanifest_customer(&m, "acme");
	CHECK(acme && acme->channel && strcmp(acme->channel, "stable") == 0);
	CHECK(acme->summary_len == 12 && memcmp(acme->summary, "m1 sid sacme", 12) == 0);
	const struct outmanifest_customer *zeta = outmanifest_customer(&m, "zeta");
	CHECK(zeta && zeta->channel && strcmp(zeta->channel, "canary") == 0 && zeta->summary == NULL);
	CHECK(outmanifest_customer(&m, "beta")->channel == NULL);
	struct buf text = BUF_INIT;
	outmanifest_format(&m, &text);
	CHECK_STR(text.ptr, "stamp-manifest 2\nversion 1.0.0\nset 0123456789abcdef0123456789abcdef\n"
		  "channel stable 00112233445566778899aabbccddeeff 9309b8e1c0a4f2d6e8b7a5c3d1e0f9a8b7c6d5e4\n"
		  "channel canary ffeeddccbbaa99887766554433221100 WORKTREE\n"
		  "customer acme 0123456789abcdef0123456789abcdef ^stable m1 sid sacme\n"
		  "customer beta 0123456789abcdef0123456789abcdef\n"
		  "customer zeta 0123456789abcdef0123456789abcdef ^canary\n");
	buf_release(&text);
	outmanifest_release(&m);
	static const char *const bad[] = {
		"channel stable 00112233445566778899aabbccddeeff\n",               /* no commit */
		"channel Stable 00112233445566778899aabbccddeeff WORKTREE\n",      /* not a DNS label */
		"channel stable 0011 WORKTREE\n",                                   /* short hash */
		"channel stable 00112233445566778899aabbccddeeff WORKTREE\n"
		"channel stable 00112233445566778899aabbccddeeff WORKTREE\n",      /* twice */
		"customer acme 0123456789abcdef0123456789abcdef ^\n",              /* empty channel */
		"customer acme 0123456789abcdef0123456789abcdef ^Bad m1\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CHECK_MSG(parses(bad[i], &m, &err) < 0, "accepted: %s", bad[i]);
		error_clear(&err);
	}
}

int main(void)
{
	check_paths();
	check_parse();
	check_channels();
	check_pieces();
	return test_report("outmanifest");
}
