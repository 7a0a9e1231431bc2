export type * from "./project.ts";
export type * from "./service.ts";
