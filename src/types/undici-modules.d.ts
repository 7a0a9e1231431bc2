// Undici's own modules as the engine client imports them (see src/engine/undici-core.ts); their
// types come from undici's public declarations there.
declare module "undici/lib/dispatcher/agent.js" {
  const Agent: unknown;
  export default Agent;
}
declare module "undici/lib/api/api-request.js" {
  const request: unknown;
  export default request;
}
declare module "undici/lib/api/api-upgrade.js" {
  const upgrade: unknown;
  export default upgrade;
}
