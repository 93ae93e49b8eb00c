/**
 * The one place names and tags for AWS are made from user-controlled text (run ids come from the
 * `--out` folder name): SageMaker job/model names and tag keys/values each have a pattern, and a
 * value outside it fails the Create call after the upload has already happened.
 */

const NAME_RE = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** Tag key/value pattern of the SageMaker API (Tag.Key 1-128, Tag.Value 0-256). */
export const TAG_RE = /^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$/u;

/** FNV-1a, base36: a short stable tag that keeps shortened names unique. */
export function shortHash(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(36).padStart(7, '0');
}

/**
 * `digitflow-<stage>-<runId>[-suffix]`, valid for SageMaker (1-63 chars of [a-zA-Z0-9-], starting
 * and ending alphanumeric). Too-long ids are cut and tagged with a hash of the full name, so two
 * different runs can never end up with the same job name.
 */
export function resourceName(stage: string, runId: string, suffix?: string): string {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  const full = ['digitflow', clean(stage), clean(runId), suffix ? clean(suffix) : ''].filter(Boolean).join('-');
  if (
    full.length <= 63 &&
    NAME_RE.test(full) &&
    full === ['digitflow', stage, runId, suffix ?? ''].filter(Boolean).join('-')
  )
    return full;
  if (full.length <= 63 - 8 && NAME_RE.test(full))
    return `${full}-${shortHash(['digitflow', stage, runId, suffix ?? ''].join('\u0000'))}`;
  const tag = shortHash(full + '\u0000' + runId);
  const head = full.slice(0, 63 - tag.length - 1).replace(/-+$/, '');
  return `${head}-${tag}`;
}

/** True for a valid SageMaker job/model name. */
export function isValidResourceName(name: string): boolean {
  return NAME_RE.test(name);
}

/**
 * A tag key (max 128) or value (max 256) that satisfies the API pattern: characters outside it
 * become `_`, and a value that had to change keeps a hash of the original so it stays distinct.
 */
export function tagText(text: string, max: number): string {
  const clean = Array.from(text, (ch) => (TAG_RE.test(ch) ? ch : '_')).join('');
  if (clean === text && text.length <= max) return text;
  const tag = shortHash(text);
  return `${Array.from(clean)
    .slice(0, max - tag.length - 1)
    .join('')}-${tag}`;
}

/** Tags in the shape CreateTrainingJob/CreateModel/CreateTransformJob take, every key and value sanitised. */
export function awsTags(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([k, v]) => ({ Key: tagText(k, 128), Value: tagText(v, 256) }));
}
