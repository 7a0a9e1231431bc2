/** Public API of the compose loader. */
export { loadProject, type LoadProjectOptions } from "./load-project.ts";
export { renderConfig } from "./render-config.ts";
export { ConfigFileError, formatIssue, type ConfigIssue } from "../../yaml/issues.ts";
export { composeFileSchema } from "./schema/compose-schema.ts";
export type { Field, ObjectSchema, Schema } from "./schema/types.ts";
export { DEFAULT_FILE_NAMES, OVERRIDE_FILE_NAMES } from "./discover.ts";
export { interpolateString } from "./interpolate.ts";
export { normalizeProjectName } from "./project-name.ts";
