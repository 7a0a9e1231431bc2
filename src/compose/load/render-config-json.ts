/**
 * `docker compose config --format json`: the document `renderConfig` prints as YAML (the one the
 * parity test holds to compose's), with the differences compose-go's JSON tags make. Measured on
 * compose 2.26.1: `command` and `entrypoint` are never left out (`null` when unset); a network's
 * `ipam` and a deploy's `resources` and `placement` are always there (`{}`); extensions (`x-*`)
 * are dropped but at the top level; an ulimit's zero soft or hard limit is left out; blkio device
 * entries keep Go's field names (`Path`, `Weight`, `Rate`); top-level keys are sorted; `<`, `>`
 * and `&` are escaped; there is no final newline.
 */
import { parse } from "yaml";
import type { Project } from "../model/project.ts";
import { goJson } from "../runner/display-values.ts";
import { renderConfig } from "./render-config.ts";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** compose-go's ServiceConfig field order, up to entrypoint (what an inserted key goes after). */
const SERVICE_ORDER = [
  "profiles", "annotations", "attach", "build", "develop", "blkio_config", "cap_add", "cap_drop", "cgroup_parent", "cgroup",
  "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpus", "cpuset", "cpu_shares",
  "command", "configs", "container_name", "credential_spec", "depends_on", "deploy", "device_cgroup_rules", "devices", "dns",
  "dns_opt", "dns_search", "dockerfile", "domainname", "entrypoint",
];
const DEPLOY_ORDER = ["mode", "replicas", "labels", "update_config", "rollback_config", "resources", "restart_policy", "placement", "endpoint_mode"];
const NETWORK_ORDER = ["name", "driver", "driver_opts", "ipam"];

export function renderConfigJson(project: Project): string {
  // renderConfig has escaped `$` as `$$` already; the parsed values keep it.
  const doc = parse(renderConfig(project)) as Obj;
  const out: Obj = {};
  for (const key of Object.keys(doc).sort()) {
    const value = doc[key];
    if (key === "services" && isObj(value)) out[key] = mapValues(value, service);
    else if (key === "networks" && isObj(value)) out[key] = mapValues(value, (n) => withDefault(dropExtensions(n), "ipam", {}, NETWORK_ORDER));
    else if ((key === "volumes" || key === "secrets" || key === "configs") && isObj(value)) out[key] = mapValues(value, dropExtensions);
    else out[key] = value;
  }
  return goJson(out, { indent: "  " });
}

function service(s: Obj): Obj {
  let out = dropExtensions(s);
  out = withDefault(out, "command", null, SERVICE_ORDER);
  out = withDefault(out, "entrypoint", null, SERVICE_ORDER);
  if (isObj(out["deploy"])) out["deploy"] = withDefault(withDefault(out["deploy"], "resources", {}, DEPLOY_ORDER), "placement", {}, DEPLOY_ORDER);
  if (isObj(out["ulimits"])) {
    out["ulimits"] = mapValues(out["ulimits"], (u) => Object.fromEntries(Object.entries(u).filter(([k, v]) => !((k === "soft" || k === "hard") && v === 0))));
  }
  if (isObj(out["blkio_config"])) {
    out["blkio_config"] = Object.fromEntries(
      Object.entries(out["blkio_config"]).map(([k, v]) => [k, Array.isArray(v) ? v.map((d) => (isObj(d) ? Object.fromEntries(Object.entries(d).map(([f, x]) => [f[0]!.toUpperCase() + f.slice(1), x])) : d)) : v]),
    );
  }
  return out;
}

function mapValues(m: Obj, f: (v: Obj) => unknown): Obj {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, isObj(v) ? f(v) : v]));
}

function dropExtensions(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith("x-")));
}

/** `o` with `key` set to `value` when absent, placed where the Go struct declares it. */
function withDefault(o: Obj, key: string, value: unknown, order: readonly string[]): Obj {
  if (key in o) return o;
  const position = order.indexOf(key);
  const out: Obj = {};
  let placed = false;
  for (const [k, v] of Object.entries(o)) {
    const at = order.indexOf(k);
    if (!placed && (at < 0 || at > position)) {
      out[key] = value;
      placed = true;
    }
    out[k] = v;
  }
  if (!placed) out[key] = value;
  return out;
}
