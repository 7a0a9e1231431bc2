#!/usr/bin/env node
// GET /?name=NAME answers a greeting, GET /health answers "ok". PORT (default 8080).
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { greeting } from "./greeting.js";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
const port = Number(process.env.PORT ?? 8080);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  if (url.pathname === "/health") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\n");
  } else if (url.pathname === "/") {
    res.writeHead(200, { "content-type": "text/plain" }).end(`${greeting(url.searchParams.get("name"), version)}\n`);
  } else {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  }
});
server.listen(port, () => console.log(`greeter ${version} listening on ${port}`));
// docker stop sends SIGTERM: close at once rather than wait for the kill.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
