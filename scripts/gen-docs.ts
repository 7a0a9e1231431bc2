import { writeFile } from "node:fs/promises";
import { renderPipelineDocs } from "../src/config/docs.ts";

await writeFile(new URL("../docs/config.md", import.meta.url), renderPipelineDocs());
