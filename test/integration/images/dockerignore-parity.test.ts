/**
 * .dockerignore parity with the docker CLI: for tricky ignore files, the list of entries Slipway
 * packs (contextFiles) is exactly what `DOCKER_BUILDKIT=0 docker build` sends as its context.
 *
 * How the CLI's context is seen: the CLI runs with DOCKER_HOST pointing at a unix-socket proxy this
 * test serves. Every request goes on to the real engine (the CLI negotiates the API version with
 * it), except `POST /…/build`: its body is the context's tar, which the proxy reads and answers
 * with a minimal successful build stream, so nothing is built and nothing is left on the engine.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync } from "node:zlib";
import tar from "tar-stream";
import { endpointFromEnv } from "../../../src/engine/engine.ts";
import { contextFiles } from "../../../src/images/build-context.ts";

const execFileAsync = promisify(execFile);

function dockerCli(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v docker"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

const DOCKER = dockerCli();
const NO_CLI = DOCKER ? undefined : "the docker CLI is not installed: nothing to compare Slipway's context with";

interface Case {
  name: string;
  dockerignore: string;
  /** Relative to the context; `docker build -f` when not the default. */
  dockerfile?: string;
  /** Files (content) and, for names ending in "/", empty folders; `->target` makes a symlink. */
  tree: string[];
}

const TREE = [
  "README.md",
  "CHANGELOG.md",
  "docs/guide.md",
  "docs/keep.md",
  "docs/img/logo.png",
  "node_modules/pkg/index.js",
  "lib/node_modules/inner.js",
  "src/app.ts",
  "src/app.test.ts",
  "src/util/app.test.ts",
  "src/generated/out.js",
  "src/generated/keep.js",
  "src/deeper/generated/x.js",
  "build/output.bin",
  "build/keep/me.txt",
  "logs/a.log",
  "root.log",
  "deep/x/y/z.log",
  "deep/x/y/z.txt",
  "deep/z.txt",
  "secret/key.pem",
  "secret/public.txt",
  "a/b/c/d.txt",
  "a/x/c",
  "a/b/cc/e.txt",
  ".git/HEAD",
  ".git/objects/ab/cdef",
  ".env",
  ".env.local",
  ".env.example",
  "space name.txt",
  "a+b.txt",
  "weird(1).txt",
  "vendor/lib/x.go",
  "vendor/lib/keep.go",
  "tmp/",
  "empty/",
  "link-to-src->src",
  "config/app.yml",
  "config/app.yml.bak",
  "# not a comment",
];

const CASES: Case[] = [
  {
    name: "comments, ./ and / prefixes, trailing slashes, **, ! inside ignored folders, CRLF",
    dockerfile: "Dockerfile",
    tree: ["Dockerfile", ...TREE],
    dockerignore: [
      "\ufeff# a comment (after a byte order mark)",
      "   # leading blanks: a pattern, not a comment",
      "",
      ".git",
      "/node_modules",
      "./build/",
      "!build/keep/",
      "**/*.log",
      "!deep/x/y/z.log",
      "docs",
      "!docs/keep.md",
      "src/**/generated",
      "!src/generated/keep.js",
      "secret/",
      "!**/public.txt",
      ".env*",
      "!.env.example",
      "vendor/**",
      "!vendor/lib/keep.go",
      "a/*/c",
      "deep/**/z.txt",
      "*.md",
      "!README.md",
      "a+b.txt",
      "weird(?).txt",
      "config/*.ba[kx]",
      "  tmp/  ",
      "Dockerfile",
      ".dockerignore",
      "link-to-src",
      "#  not a comment",
    ].join("\r\n"),
  },
  {
    name: "allow-list: * then ! re-includes, a nested Dockerfile outside the list",
    dockerfile: "docker/app.Dockerfile",
    tree: ["docker/app.Dockerfile", "docker/other.txt", "package.json", ...TREE],
    dockerignore: ["*", "!src", "!package.json", "**/*.test.ts", "!src/util/*.test.ts", "src/generated/"].join("\n"),
  },
  {
    name: "** everything, then folders back",
    dockerfile: "Dockerfile",
    tree: ["Dockerfile", ...TREE],
    dockerignore: ["**", "!src/**", "!a/b", "a/b/cc", "!**/keep.md", "!/vendor/lib"].join("\n"),
  },
  {
    name: "escapes, classes, ** inside a name, .. in a pattern, a trailing /** keeps its folder",
    dockerfile: "Dockerfile",
    tree: ["Dockerfile", "file*.txt", "fileX.txt", "cls/a1", "cls/b1", "cls/c1", "midend.txt", "mid/a/b/end.txt", "midXend.txt", "bar.txt", "pre/fix/a", "pre/b", "one/tmp.txt", "one/two/tmp.txt"],
    dockerignore: ["file\\*.txt", "cls/[^a]1", "mid**end.txt", "x/../bar.txt", "pre/**", "*/tmp.txt"].join("\n"),
  },
  {
    name: "a folder ignored, the Dockerfile inside it, no other exceptions",
    dockerfile: "build/Dockerfile",
    tree: ["build/Dockerfile", ...TREE],
    dockerignore: ["build", "docs/", "**/node_modules"].join("\n"),
  },
];

async function makeTree(dir: string, c: Case): Promise<void> {
  for (const entry of c.tree) {
    const [name, target] = entry.split("->") as [string, string | undefined];
    const abs = path.join(dir, name);
    if (name.endsWith("/")) {
      await mkdir(abs, { recursive: true });
      continue;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    if (target !== undefined) await symlink(target, abs);
    else await writeFile(abs, name.endsWith("Dockerfile") ? "FROM scratch\nCOPY . /\n" : `${name}\n`);
  }
  await writeFile(path.join(dir, ".dockerignore"), c.dockerignore);
}

/** The entry names of a (possibly gzipped) tar, sorted; folders end in "/" as in contextFiles. */
async function tarEntries(body: Buffer): Promise<string[]> {
  const data = body[0] === 0x1f && body[1] === 0x8b ? gunzipSync(body) : body;
  const extract = tar.extract();
  const names: string[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      names.push(header.type === "directory" && !header.name.endsWith("/") ? `${header.name}/` : header.name);
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(data);
  await done;
  return names.sort();
}

interface CapturingProxy extends AsyncDisposable {
  socketPath: string;
  /** The bodies of the build requests seen so far. */
  builds: Buffer[];
}

/** A unix-socket HTTP proxy in front of the engine that captures (and answers) build requests. */
async function capturingProxy(dir: string): Promise<CapturingProxy> {
  const endpoint = endpointFromEnv(process.env);
  const builds: Buffer[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      if (req.method === "POST" && /^(\/v[\d.]+)?\/build(\?|$)/.test(req.url ?? "")) {
        builds.push(body);
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(`${JSON.stringify({ stream: "Successfully built 0123456789ab\n" })}\n`);
        return;
      }
      if (endpoint.kind !== "unix") {
        // Only the version negotiation is left to answer: an engine this test cannot reach as a
        // plain socket (tcp+TLS, ssh) is not needed for what is compared.
        res.writeHead(200, { "Api-Version": "1.41", Ostype: "linux", "Content-Type": "text/plain" });
        res.end(req.method === "HEAD" ? undefined : "OK");
        return;
      }
      const headers = { ...req.headers };
      delete headers["content-length"];
      delete headers["transfer-encoding"];
      const upstream = http.request({ socketPath: endpoint.socketPath, method: req.method, path: req.url, headers: { ...headers, "content-length": String(body.length) } }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on("error", (err) => {
        res.writeHead(502, { "Content-Type": "text/plain" });
        res.end(String(err));
      });
      upstream.end(body);
    });
  });
  const socketPath = path.join(dir, "proxy.sock");
  await new Promise<void>((resolve, reject) => server.listen(socketPath, resolve).once("error", reject));
  return {
    socketPath,
    builds,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const c of CASES) {
  test(`.dockerignore parity with docker build: ${c.name}`, { skip: NO_CLI }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "slipway-ignore-parity-"));
    try {
      const context = path.join(dir, "context");
      await mkdir(context);
      await makeTree(context, c);
      await using proxy = await capturingProxy(dir);
      const dockerConfig = path.join(dir, "docker-config");
      await mkdir(dockerConfig);
      const args = ["build", ...(c.dockerfile && c.dockerfile !== "Dockerfile" ? ["-f", path.join(context, c.dockerfile)] : []), context];
      // A config folder of its own: no credentials of this machine's user go into the request.
      const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_HOST: `unix://${proxy.socketPath}`, DOCKER_BUILDKIT: "0", DOCKER_CONFIG: dockerConfig };
      for (const name of ["DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH"]) delete env[name];
      const run = await execFileAsync(DOCKER!, args, { env, timeout: 60_000 }).catch((err: { stderr?: string; message: string }) => {
        throw new Error(`docker build failed: ${err.stderr || err.message}`);
      });
      assert.equal(proxy.builds.length, 1, `the CLI sent one build request (stderr: ${run.stderr})`);
      const docker = await tarEntries(proxy.builds[0]!);
      const slipway = await contextFiles(context, c.dockerfile ?? "Dockerfile");
      assert.deepEqual(slipway, docker, `only Slipway: ${JSON.stringify(slipway.filter((f) => !docker.includes(f)))}; only docker: ${JSON.stringify(docker.filter((f) => !slipway.includes(f)))}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}
