/** Every `curl …` command of a seed document, in order: continuation lines, multi-line -d bodies and pipes included. */
export function curlCommands(markdown: string): string[] {
  const commands: string[] = [];
  let current: string[] | null = null;
  for (const line of markdown.split('\n')) {
    if (!current && /^\s*curl\s/.test(line)) current = [];
    if (!current) continue;
    current.push(line);
    const text = current.join('\n');
    const balanced = (text.match(/'/g) ?? []).length % 2 === 0;
    if (balanced && !line.trimEnd().endsWith('\\')) {
      commands.push(text.trim());
      current = null;
    }
  }
  return commands;
}
