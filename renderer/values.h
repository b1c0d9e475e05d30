/* values: one customer's fully merged values, the map every template renders over:
 * id, platform and deploy, then the plan's settings, then the validated spec (with the
 * schema's defaults), then the derived values of the manifest, each able to use the ones
 * before. The cross-field rules of one spec are checked here too: credentials in it
 * (secrets.h) and the manifest's disjoint: maps.
 *
 * Everything is allocated in the caller's arena; the tree shares nodes with the spec
 * and the manifest, so both must outlive it. */
#ifndef STAMP_VALUES_H
#define STAMP_VALUES_H

struct arena;
struct error_list;
struct manifest;
struct value;

/* Returns the merged map, or NULL after adding every problem (schema, secrets, disjoint
 * maps, derived values) to errors; NULL too for a spec holding a node the loader refused
 * (its problem is already reported). */
struct value *values_build(const struct manifest *m, const char *id, const char *file,
			   const struct value *spec, struct arena *arena, struct error_list *errors);

#endif
