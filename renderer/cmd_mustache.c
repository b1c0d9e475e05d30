/* `stamp mustache`: the template engine on its own, for template authors and for the
 * conformance suite. Reads one template and an optional YAML/JSON data file, renders to
 * memory and writes stdout only when the whole render succeeded. */
#include "arena.h"
#include "buf.h"
#include "cli.h"
#include "document.h"
#include "error.h"
#include "template.h"
#include "value.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const mustache_suffixes[] = { "", ".mustache" };

static int cmd_mustache_run(const struct cli *cli, const char *template_path, struct cli_option *options);

int cmd_mustache(struct cli *cli, int argc, char **argv)
{
	struct cli_option options[] = {
		{ "--data", 1, NULL, 0 },
		{ "--partials", 1, NULL, 0 },
		{ "--escape", 1, NULL, 0 },
		{ "--strict", 0, NULL, 0 },
	};
	const char *positional[1];
	size_t count;
	if (cli_parse_options(cli, argc, argv, options, 4, positional, 1, &count) < 0)
		return CLI_USAGE;
	if (count != 1) {
		cli_error("'mustache' needs a TEMPLATE (see 'stamp help mustache')");
		return CLI_USAGE;
	}
	struct buf paths[3] = { BUF_INIT, BUF_INIT, BUF_INIT }; /* as seen from -C DIR */
	cli_path(cli, positional[0], &paths[0]);
	if (options[0].value) {
		cli_path(cli, options[0].value, &paths[1]);
		options[0].value = paths[1].ptr;
	}
	if (options[1].value) {
		cli_path(cli, options[1].value, &paths[2]);
		options[1].value = paths[2].ptr;
	}
	int status = cmd_mustache_run(cli, paths[0].ptr, options);
	for (size_t i = 0; i < 3; i++)
		buf_release(&paths[i]);
	return status;
}

static int cmd_mustache_run(const struct cli *cli, const char *template_path, struct cli_option *options)
{
	enum tmpl_format format = tmpl_format_for_path(template_path);
	static const char *const modes[] = { "html", "yaml", "json", "hcl", "none" };
	if (options[2].value && tmpl_format_parse(options[2].value, &format) < 0) {
		cli_choice("--escape", options[2].value, modes, 5); /* prints the choices and a hint */
		return CLI_USAGE;
	}

	struct buf source = BUF_INIT;
	if (buf_read_file(&source, template_path, 16u * 1024 * 1024) < 0) {
		cli_error("cannot read template '%s': %s", template_path, strerror(errno));
		buf_release(&source);
		return CLI_USAGE;
	}
	struct buf dir = BUF_INIT;
	if (options[1].value) {
		buf_add_str(&dir, options[1].value);
		struct stat st;
		if (stat(dir.ptr, &st) < 0 || !S_ISDIR(st.st_mode)) {
			cli_error("partials directory '%s' does not exist", dir.ptr);
			buf_release(&source);
			buf_release(&dir);
			return CLI_USAGE;
		}
	} else {
		const char *slash = strrchr(template_path, '/');
		if (slash)
			buf_add(&dir, template_path, (size_t)(slash - template_path));
		else
			buf_add_str(&dir, ".");
	}

	int status = CLI_OK;
	struct arena arena = ARENA_INIT;
	struct error err = ERROR_INIT;
	struct value *data = NULL;
	if (options[0].value) {
		struct stat st;
		if (stat(options[0].value, &st) < 0) {
			cli_error("cannot read data file '%s': %s", options[0].value, strerror(errno));
			status = CLI_USAGE;
			goto out;
		}
		if (document_load_file(&arena, options[0].value, NULL, &data, &err) < 0) {
			cli_print_error(cli, &err);
			status = CLI_INVALID;
			goto out;
		}
	} else {
		data = value_new(&arena, VALUE_MAP, NULL, 0, 0);
	}

	struct tmpl_directory partials = { dir.ptr, mustache_suffixes, 2 };
	struct tmpl_options topts = { format, options[3].seen, tmpl_load_from_directory, &partials };
	struct tmpl_set *set = tmpl_set_new(&topts);
	const struct tmpl *t;
	struct buf out = BUF_INIT;
	if (tmpl_compile(set, template_path, source.ptr, source.len, &t, &err) < 0 ||
	    tmpl_render(t, data, &out, &err) < 0) {
		cli_print_error(cli, &err);
		status = CLI_INVALID;
	} else if (fwrite(out.ptr, 1, out.len, stdout) != out.len || fflush(stdout) != 0) {
		cli_error("cannot write the output: %s", strerror(errno));
		status = CLI_USAGE;
	}
	buf_release(&out);
	tmpl_set_free(set);
out:
	error_clear(&err);
	arena_release(&arena);
	buf_release(&source);
	buf_release(&dir);
	return status;
}
