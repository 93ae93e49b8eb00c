/** Text from files on disk (run ids, hyperparameters, paths) shown in a terminal: control characters become `?`. */
export function safeText(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
