export * from "./slipway-error.ts";
export * from "./outcomes.ts";
