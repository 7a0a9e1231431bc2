/**
 * Whether a registry may be spoken to over plain HTTP, by the engine's own rule (its `/info`
 * RegistryConfig): a registry the daemon lists as not secure (`insecure-registries` by name), or
 * one whose address is inside an insecure CIDR (`127.0.0.0/8` by default). The daemon resolves a
 * host name to test the CIDRs; a name here is judged by the list alone, except `localhost`.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";
import type { SystemInfo } from "../engine/types.ts";

export function insecureRegistry(registry: string, config: SystemInfo["RegistryConfig"]): boolean {
  const index = config?.IndexConfigs?.[registry];
  if (index) return !index.Secure;
  const host = hostOf(registry);
  const address = host === "localhost" ? "127.0.0.1" : host;
  const family = ipFamily(address);
  if (family === 0) return false;
  const cidrs = config?.InsecureRegistryCIDRs ?? ["127.0.0.0/8"];
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split("/");
    const netFamily = ipFamily(net ?? "");
    if (netFamily === 0 || bits === undefined) continue;
    list.addSubnet(net!, Number(bits), netFamily === 6 ? "ipv6" : "ipv4");
  }
  return list.check(address, family === 6 ? "ipv6" : "ipv4");
}

/** The host of `host[:port]`, `[v6]:port` or a bare v6 address. */
function hostOf(registry: string): string {
  if (registry.startsWith("[")) return registry.slice(1, registry.indexOf("]"));
  if (ipFamily(registry) === 6) return registry;
  const colon = registry.lastIndexOf(":");
  return colon === -1 ? registry : registry.slice(0, colon);
}

/**
 * 4, 6 or 0, as net.isIP, asking its IPv6 pattern only about what has two colons: the pattern is
 * large, and compiling it on first use took 5.6 ms of a publish's path to the registry (CPU
 * profile, 2026-12-06), for `127.0.0.1:5002`, which `host:port` already rules out.
 */
function ipFamily(text: string): 0 | 4 | 6 {
  if (isIPv4(text)) return 4;
  return text.indexOf(":") !== text.lastIndexOf(":") && isIPv6(text) ? 6 : 0;
}
