/**
 * `images`: the image of each of a project's containers, as docker compose v2 (2.26.1) lists
 * them: the image each container was created from, inspected once per image, named by the
 * image's first repository tag.
 */
import { SlipwayError } from "../../errors/index.ts";
import { splitImageRef, type Engine, type ImageInspect } from "../../engine/index.ts";
import { ComposeLabel } from "../../run/labels.ts";
import { canonicalName } from "./ps.ts";
import { projectFilter } from "./observe.ts";

/** compose's api.ImageSummary, with the container it is listed for (the JSON's field order). */
export interface ComposeImage {
  ID: string;
  ContainerName: string;
  /** "" when the image has no tag (the table shows `<none>`). */
  Repository: string;
  Tag: string;
  Size: number;
}

/** One entry per container (stopped and one-off ones too), in the engine's order. */
export async function composeImages(engine: Engine, projectName: string, opts: { services?: readonly string[]; signal?: AbortSignal } = {}): Promise<ComposeImage[]> {
  const list = await engine.containers.list({ all: true, filters: projectFilter(projectName.toLowerCase()), signal: opts.signal });
  const containers = opts.services?.length ? list.filter((c) => opts.services!.includes(c.Labels[ComposeLabel.service] ?? "")) : list;
  const refs = [...new Set(containers.map((c) => c.Image))];
  const inspected = new Map<string, ImageInspect>();
  await Promise.all(
    refs.map(async (ref) => {
      const image = await engine.images.find(ref, { signal: opts.signal });
      if (image) inspected.set(ref, image);
    }),
  );
  return containers.map((c) => {
    const name = canonicalName(c);
    const image = inspected.get(c.Image);
    if (!image) {
      throw new SlipwayError(`failed to retrieve image for container ${name}`, {
        code: "IMAGE_NOT_FOUND",
        kind: "engine",
        hint: `The image ${c.Image} it was created from is gone; recreate the container (\`slipway compose up -d --force-recreate\`).`,
      });
    }
    const { ID, Repository, Tag, Size } = imageSummary(image);
    return { ID, ContainerName: name, Repository, Tag, Size };
  });
}

/** The listing's view of an inspected image: named by its first tag, as compose 2.26.1 does (pure). */
export function imageSummary(image: Pick<ImageInspect, "Id" | "RepoTags" | "Size">): Omit<ComposeImage, "ContainerName"> {
  const first = image.RepoTags?.[0];
  const ref = first ? familiarRef(first) : { repository: "", tag: "" };
  return { ID: image.Id, Repository: ref.repository, Tag: ref.tag, Size: image.Size };
}

/** A reference as the docker CLI shows it: Docker Hub's `docker.io/` and `library/` dropped, `latest` when untagged. */
export function familiarRef(ref: string): { repository: string; tag: string } {
  const { repo, tag } = splitImageRef(ref);
  const [first, ...rest] = repo.split("/");
  const hasDomain = rest.length > 0 && (/[.:]/.test(first!) || first === "localhost");
  let repository = repo;
  if (!hasDomain || first === "docker.io" || first === "index.docker.io") {
    const path = hasDomain ? rest.join("/") : repo;
    repository = /^library\/[^/]+$/.test(path) ? path.slice("library/".length) : path;
  }
  return { repository, tag: tag ?? "latest" };
}
