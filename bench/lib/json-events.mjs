/**
 * The JSON event lines a `digitflow … --json` child writes to stderr, each handed to `onEvent`
 * with the milliseconds since `t0` at which its chunk arrived (lines that are not JSON are skipped).
 */
export function onJsonEvents(stream, t0, onEvent) {
  let pending = '';
  stream.on('data', (d) => {
    const ms = performance.now() - t0;
    pending += d;
    for (let i; (i = pending.indexOf('\n')) >= 0; pending = pending.slice(i + 1)) {
      let e;
      try {
        e = JSON.parse(pending.slice(0, i));
      } catch {
        continue;
      }
      onEvent(e, ms);
    }
  });
}
