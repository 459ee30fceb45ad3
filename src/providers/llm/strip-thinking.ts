/**
 * Removes the reasoning that thinking models (Qwen3, DeepSeek-R1, QwQ …) put into `content`.
 *
 * Three shapes occur in practice:
 * - `<think>…</think>answer`: a complete block, anywhere in the reply;
 * - `…reasoning</think>answer`: the chat template already opened `<think>` inside the prompt, so the
 *   reply carries only the closing tag and everything before it is reasoning;
 * - `<think>…` never closed: the reply was cut off (max_tokens) while still reasoning, so there is
 *   no answer at all and the result is empty.
 */
export function stripThinking(text: string): string {
  let rest = text;
  const firstClose = rest.search(/<\/think>/i);
  const firstOpen = rest.search(/<think>/i);
  if (firstClose !== -1 && (firstOpen === -1 || firstClose < firstOpen)) {
    rest = rest.slice(firstClose + '</think>'.length);
  }
  rest = rest.replace(/<think>[\s\S]*?<\/think>/gi, '');
  const unclosed = rest.search(/<think>/i);
  if (unclosed !== -1) rest = rest.slice(0, unclosed);
  return rest.trim();
}
