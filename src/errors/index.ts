export * from "./slipway-error.ts";
