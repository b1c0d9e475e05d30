/* Channels: reading the declaration, resolving each revision once, loading each
 * distinct commit's template set once. A set read from a revision is checked as fully
 * as the working tree's (its manifest, its outputs, its partials), and its problems are
 * reported under the revision's name ("templates-v12:templates/stamp.yaml:3:7"), so a
 * channel cannot pin customers to a set stamp would refuse in the working tree. */
#include "channel.h"

#include "alloc.h"

#include "buf.h"
#include "customers.h"
#include "error.h"
#include "manifest.h"
#include "suggest.h"
#include "value.h"

#include <stdlib.h>
#include <string.h>

static void channels_report(struct error_list *errors, const struct value *at, const char *fmt, const char *a,
			    const char *b)
{
	struct error err = ERROR_INIT;
	error_set(&err, at->file, at->line, at->col, fmt, a, b);
	error_list_take(errors, &err);
}

long channels_find(const struct channels *ch, const char *name, size_t len)
{
	for (size_t i = 0; i < ch->count; i++)
		if (strlen(ch->items[i].name) == len && memcmp(ch->items[i].name, name, len) == 0)
			return (long)i;
	return -1;
}

long channels_find_recorded(const struct channels *ch, const char *recorded)
{
	if (!recorded)
		return ch->count ? -1 : 0;
	return channels_find(ch, recorded, strlen(recorded));
}

const char *channels_closest(const struct channels *ch, const char *name, size_t len)
{
	const char **names = alloc_check(calloc(ch->count ? ch->count : 1, sizeof *names));
	for (size_t i = 0; i < ch->count; i++)
		names[i] = ch->items[i].name;
	const char *hint = suggest_closest(name, len, names, ch->count);
	free(names);
	return hint;
}

void channels_describe_promotion(struct buf *out, const char *name, const char *sha, const char *revision,
				 size_t customers)
{
	if (!sha || !*sha || strcmp(sha, CHANNEL_WORKTREE) == 0)
		buf_printf(out, "Update %s (" CHANNEL_WORKTREE ")", name);
	else
		buf_printf(out, "Promote %s to %.7s", name, sha);
	if (sha && *sha && revision && strncmp(sha, revision, strlen(revision)) != 0)
		buf_printf(out, " (%s)", revision);
	buf_printf(out, ": %zu customer%s", customers, customers == 1 ? "" : "s");
}

const struct channel_set *channels_set_of(const struct channels *ch, size_t channel)
{
	return &ch->sets[ch->count ? ch->items[channel].set : 0];
}

const struct channel_set *channels_default_set(const struct channels *ch)
{
	return channels_set_of(ch, ch->default_channel);
}

/* The repository the revisions are resolved in: the one a revision's source reads, or
 * the one holding the working tree (opened once, here). */
static int channels_repository(struct channels *ch, const struct source *src, const struct value *at,
			       struct error_list *errors)
{
	if (ch->repo)
		return 0;
	if (ch->repo_failed) /* said once, at the first channel that needs it */
		return -1;
	ch->repo = source_git_repo(src);
	if (ch->repo)
		return 0;
	struct error err = ERROR_INIT;
	if (gitrepo_open(&ch->owned_repo, src->root.path, &err) < 0) {
		ch->repo_failed = 1;
		/* gitrepo's own fix (git init) is not this one: its reason only */
		char *fix = strstr(err.message, "; ");
		if (fix)
			*fix = 0;
		struct error located = ERROR_INIT;
		error_set(&located, at->file, at->line, at->col, "channels: a revision is read from git's history, but "
			  "%s; render in a clone, or pin every channel to %s", err.message, CHANNEL_WORKTREE);
		error_list_take(errors, &located);
		error_clear(&err);
		return -1;
	}
	ch->owns_repo = 1;
	ch->repo = &ch->owned_repo;
	return 0;
}

/* The set of c's revision: one loaded already for the same commit, or loaded now. */
static int channels_resolve(struct channels *ch, struct channel *c, const struct source *src,
			    struct error_list *errors)
{
	if (strcmp(c->revision, CHANNEL_WORKTREE) == 0) {
		c->set = 0;
		return 0;
	}
	if (channels_repository(ch, src, c->where, errors) < 0)
		return 1;
	git_oid id;
	struct error err = ERROR_INIT;
	int found = gitrepo_resolve(ch->repo, c->revision, &id, &err);
	if (found < 0) {
		struct error located = ERROR_INIT;
		error_set(&located, c->where->file, c->where->line, c->where->col, "channels.%s.revision: %s", c->name,
			  err.message);
		error_list_take(errors, &located);
		error_clear(&err);
		return 1;
	}
	if (found > 0) {
		int shallow = git_repository_is_shallow(ch->repo->repo) == 1;
		struct error located = ERROR_INIT;
		error_set(&located, c->where->file, c->where->line, c->where->col, "channels.%s.revision: '%s' is not "
			  "in this clone%s; fetch it (git fetch --tags origin; in CI, check out with fetch-depth: 0), "
			  "or name a tag, branch or commit that exists", c->name, c->revision,
			  shallow ? " (a shallow clone: its history was not fetched)" : "");
		error_list_take(errors, &located);
		return 1;
	}
	char sha[CHANNEL_SHA_LEN + 1];
	git_oid_tostr(sha, sizeof sha, &id);
	for (size_t i = 1; i < ch->set_count; i++)
		if (strcmp(ch->sets[i].sha, sha) == 0) {
			c->set = i;
			return 0;
		}
	struct channel_set *set = &ch->sets[ch->set_count];
	memset(set, 0, sizeof *set);
	memcpy(set->sha, sha, sizeof sha);
	/* the source is named by the revision as written, which is what the user reads */
	int rc = source_git_open_commit(&set->source, ch->repo, &id, c->revision, &err);
	if (rc != 0) {
		struct error located = ERROR_INIT;
		if (rc > 0)
			error_set(&located, c->where->file, c->where->line, c->where->col, "channels.%s.revision: '%s' "
				  "holds no %s%s; name a revision of this template set", c->name, c->revision,
				  ch->repo->prefix, MANIFEST_PATH);
		else
			error_set(&located, c->where->file, c->where->line, c->where->col, "channels.%s.revision: %s",
				  c->name, err.message);
		error_list_take(errors, &located);
		error_clear(&err);
		return 1;
	}
	ch->set_count++;
	c->set = (size_t)(set - ch->sets);
	size_t before = errors->count;
	set->owned_manifest = manifest_load(&set->source, MANIFEST_PATH, errors);
	if (set->owned_manifest)
		set->have_outputs = output_set_load(&set->owned_outputs, set->owned_manifest, &set->source, errors) == 0;
	set->manifest = set->owned_manifest;
	set->outputs = set->have_outputs ? &set->owned_outputs : NULL;
	return errors->count > before || !set->outputs;
}

/* A channel name is what a spec writes after channel:, and what stamp prints: a DNS
 * label, like a customer id. */
static int channels_read(struct channels *ch, const struct value *list, struct error_list *errors)
{
	if (list->type != VALUE_MAP || list->as.map.count == 0) {
		channels_report(errors, list, "channels: expected a map of channel names to {revision: REV}, "
				"REV being a tag, branch or commit, or %s%s", CHANNEL_WORKTREE, "");
		return 1;
	}
	int bad = 0;
	ch->items = alloc_check(calloc(list->as.map.count, sizeof *ch->items));
	for (size_t i = 0; i < list->as.map.count; i++) {
		const struct value *key = list->as.map.entries[i].key;
		const struct value *v = list->as.map.entries[i].value;
		const struct value *revision = value_map_get(v, "revision", 8);
		if (!customers_valid_id(key->as.string.ptr, key->as.string.len)) {
			channels_report(errors, key, "channels.%s: a channel name is a DNS label (a-z, 0-9, '-', at "
					"most 63); rename it%s", key->as.string.ptr, "");
			bad = 1;
			continue;
		}
		if (v->type != VALUE_MAP || !revision || v->as.map.count != 1 || revision->type != VALUE_STRING ||
		    revision->as.string.len == 0 || memchr(revision->as.string.ptr, 0, revision->as.string.len)) {
			const struct value *at = revision && v->as.map.count == 1 ? revision : v;
			channels_report(errors, at, "channels.%s: expected {revision: REV}, REV being a tag, branch or "
					"commit, or " CHANNEL_WORKTREE " for the templates/ of the tree rendered%s",
					key->as.string.ptr, "");
			bad = 1;
			continue;
		}
		ch->items[ch->count++] = (struct channel){ key->as.string.ptr, revision->as.string.ptr, revision, 0 };
	}
	return bad;
}

static int channels_default(struct channels *ch, const struct manifest *m, const struct value *list,
			    struct error_list *errors)
{
	const struct value *name = value_map_get(m->root, "default_channel", 15);
	if (!name) {
		channels_report(errors, list, "channels: default_channel: is missing; name the channel a spec "
				"without channel: follows%s%s", "", "");
		return 1;
	}
	long found = name->type == VALUE_STRING ? channels_find(ch, name->as.string.ptr, name->as.string.len) : -1;
	if (found >= 0) {
		ch->default_channel = (size_t)found;
		return 0;
	}
	const char *hint = name->type == VALUE_STRING
			   ? channels_closest(ch, name->as.string.ptr, name->as.string.len) : NULL;
	struct buf said = BUF_INIT;
	if (hint)
		buf_printf(&said, "; did you mean '%s'?", hint);
	else
		buf_add_str(&said, "; name one of the channels: above");
	channels_report(errors, name, "default_channel: '%s' is not one of the channels%s",
			name->type == VALUE_STRING ? name->as.string.ptr : "", said.ptr);
	buf_release(&said);
	return 1;
}

int channels_load(struct channels *ch, const struct manifest *m, const struct output_set *os,
		  const struct source *src, struct error_list *errors)
{
	memset(ch, 0, sizeof *ch);
	const struct value *list = value_map_get(m->root, "channels", 8);
	const struct value *lone_default = value_map_get(m->root, "default_channel", 15);
	size_t sets = 1 + (list && list->type == VALUE_MAP ? list->as.map.count : 0);
	ch->sets = alloc_check(calloc(sets, sizeof *ch->sets));
	ch->set_count = 1;
	ch->sets[0].manifest = m;
	ch->sets[0].outputs = os;
	if (!list) {
		if (lone_default)
			channels_report(errors, lone_default, "default_channel: there are no channels: to choose from; "
					"declare channels:, or remove this line%s%s", "", "");
		return lone_default ? 1 : 0;
	}
	if (channels_read(ch, list, errors) != 0 || channels_default(ch, m, list, errors) != 0)
		return error_list_environment(errors) ? -1 : 1;
	int bad = 0;
	for (size_t i = 0; i < ch->count; i++)
		bad |= channels_resolve(ch, &ch->items[i], src, errors);
	if (bad)
		return error_list_environment(errors) ? -1 : 1;
	return 0;
}

void channels_release(struct channels *ch)
{
	for (size_t i = 1; i < ch->set_count; i++) {
		struct channel_set *set = &ch->sets[i];
		if (set->have_outputs)
			output_set_release(&set->owned_outputs);
		manifest_free(set->owned_manifest);
		source_git_close(&set->source);
	}
	free(ch->sets);
	free(ch->items);
	if (ch->owns_repo)
		gitrepo_close(&ch->owned_repo);
	memset(ch, 0, sizeof *ch);
}

int channel_tree_load(struct channel_tree *t, const struct source *src, struct error_list *errors)
{
	memset(t, 0, sizeof *t);
	t->manifest = manifest_load(src, MANIFEST_PATH, errors);
	if (!t->manifest)
		return error_list_environment(errors) ? -1 : 1;
	t->have_outputs = output_set_load(&t->outputs, t->manifest, src, errors) == 0;
	if (!t->have_outputs)
		return error_list_environment(errors) ? -1 : 1;
	t->have_channels = 1;
	return channels_load(&t->channels, t->manifest, &t->outputs, src, errors);
}

void channel_tree_release(struct channel_tree *t)
{
	if (t->have_channels)
		channels_release(&t->channels);
	if (t->have_outputs)
		output_set_release(&t->outputs);
	manifest_free(t->manifest);
	memset(t, 0, sizeof *t);
}

int channels_survey(struct channels_survey *s, const struct source *src, int jobs, struct error_list *errors)
{
	memset(s, 0, sizeof *s);
	int rc = channel_tree_load(&s->tree, src, errors);
	if (rc != 0)
		return rc;
	const struct channels *ch = &s->tree.channels;
	struct customers customers;
	rc = customers_load(&customers, channels_default_set(ch)->manifest, ch, src, jobs, NULL, NULL);
	s->followers = alloc_check(calloc(ch->count ? ch->count : 1, sizeof *s->followers));
	s->customers = customers.count;
	for (size_t i = 0; i < customers.count; i++)
		s->followers[customers.items[i].channel]++;
	error_list_append(errors, &customers.errors);
	customers_release(&customers);
	return rc < 0 || error_list_environment(errors) ? -1 : rc;
}

void channels_survey_release(struct channels_survey *s)
{
	free(s->followers);
	channel_tree_release(&s->tree);
	memset(s, 0, sizeof *s);
}
