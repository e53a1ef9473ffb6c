import type { AdoClient } from "../ado/client";
import { ApiError } from "../lib/errors";
import type { BoardsLinkConfig } from "../schemas/boards";
import { listTeams, typeFields, workItemTypes } from "./pickers";

/**
 * Checks a config against the project's real process before it is stored: the types must be in the
 * requirement/bug categories, the states must exist, the date fields must be date fields of those types.
 * Everything wrong is returned at once as field errors (400), nothing is stored.
 */
export async function validateWithAdo(client: AdoClient, cfg: BoardsLinkConfig): Promise<void> {
  const errors: { field: string; message: string }[] = [];
  const project = cfg.project.id;
  const [types, teams] = await Promise.all([workItemTypes(client, project), cfg.team ? listTeams(client, project) : Promise.resolve([])]);
  if (cfg.team && !teams.some((t) => t.id === cfg.team!.id || t.name.toLowerCase() === cfg.team!.name.toLowerCase()))
    errors.push({ field: "config.team", message: `team "${cfg.team.name}" does not exist in ${cfg.project.name}` });

  const check = (
    on: boolean,
    section: "requirements" | "bugs",
    available: typeof types.requirement,
    stateMapping: Record<string, Record<string, string>>,
  ) => {
    if (!on) return;
    const categoryName = section === "requirements" ? "requirement" : "bug";
    for (const [i, t] of (section === "requirements" ? cfg.requirements.workItemTypes : cfg.bugs.workItemTypes).entries())
      if (!available.some((a) => a.name.toLowerCase() === t.toLowerCase()))
        errors.push({
          field: `config.${section}.workItemTypes.${i}`,
          message: available.length
            ? `"${t}" is not a ${categoryName} type of this project (${available.map((a) => a.name).join(", ")})`
            : `this project's process has no ${categoryName} types`,
        });
    for (const [type, states] of Object.entries(stateMapping)) {
      const def = available.find((a) => a.name.toLowerCase() === type.toLowerCase());
      if (!def) {
        errors.push({
          field: `config.${section}.stateMapping.${type}`,
          message: `"${type}" is not a ${categoryName} type of this project`,
        });
        continue;
      }
      for (const s of Object.keys(states))
        if (!def.states.some((x) => x.name.toLowerCase() === s.toLowerCase()))
          errors.push({
            field: `config.${section}.stateMapping.${type}.${s}`,
            message: `"${s}" is not a state of ${def.name} (${def.states.map((x) => x.name).join(", ")})`,
          });
    }
  };
  check(cfg.pullRequirements, "requirements", types.requirement, cfg.requirements.stateMapping);
  check(cfg.bugMapping, "bugs", types.bug, cfg.bugs.stateMapping);

  if (
    cfg.pullRequirements &&
    cfg.requirements.releaseDateFields.length &&
    !errors.some((e) => e.field.startsWith("config.requirements.workItemTypes"))
  ) {
    const { dateFields } = await typeFields(client, project, cfg.requirements.workItemTypes);
    for (const [i, f] of cfg.requirements.releaseDateFields.entries())
      if (!dateFields.some((d) => d.referenceName.toLowerCase() === f.toLowerCase()))
        errors.push({
          field: `config.requirements.releaseDateFields.${i}`,
          message: `"${f}" is not a date field of the selected requirement types`,
        });
  }
  if (errors.length) throw new ApiError(400, "validation_failed", errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors);
}
