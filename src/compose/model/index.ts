export type * from "./project.ts";
export type * from "./service.ts";
export { namespaceService, namespaceServices, volumesFromService } from "./shared.ts";
