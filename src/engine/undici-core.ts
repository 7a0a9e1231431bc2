/**
 * The pieces of undici the engine client uses — its Agent and its `request` — imported from their
 * own modules: undici's index loads every API it has (fetch, WebSocket, cache, mocks…) and costs
 * a CLI start-up ~100 ms on these machines; these two are a third of that. Typed from undici's
 * public declarations. (undici has no exports map: these paths are stable within a minor version,
 * which package.json pins; the engine client's tests fail loudly if they move.)
 */
import type * as Undici from "undici";
import AgentModule from "undici/lib/dispatcher/agent.js";
import requestModule from "undici/lib/api/api-request.js";
import upgradeModule from "undici/lib/api/api-upgrade.js";

export const Agent = AgentModule as unknown as typeof Undici.Agent;
export type Agent = Undici.Agent;
export type { Dispatcher } from "undici";
export type Connector = Undici.buildConnector.connector;

const apiRequest = requestModule as unknown as (this: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions) => Promise<Undici.Dispatcher.ResponseData>;

/** `dispatcher.request(options)`, which undici's index adds to every dispatcher (the index is not loaded here). */
export function request(dispatcher: Undici.Dispatcher, options: Undici.Dispatcher.RequestOptions): Promise<Undici.Dispatcher.ResponseData> {
  return apiRequest.call(dispatcher, options);
}

const apiUpgrade = upgradeModule as unknown as (this: Undici.Dispatcher, options: Undici.Dispatcher.UpgradeOptions) => Promise<Undici.Dispatcher.UpgradeData>;

/** `dispatcher.upgrade(options)`: an HTTP/1.1 upgrade (101), resolving with the raw socket. */
export function upgrade(dispatcher: Undici.Dispatcher, options: Undici.Dispatcher.UpgradeOptions): Promise<Undici.Dispatcher.UpgradeData> {
  return apiUpgrade.call(dispatcher, options);
}
