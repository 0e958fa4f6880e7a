/**
 * A streamed text as blocks to render one after another: its lines (each
 * with its newline), and a line longer than `size` cut after a space near
 * `size`. A new token then changes only the last block, so the browser lays
 * out that block alone instead of the whole text, which matters once a run
 * has written tens of thousands of tokens.
 */
export const BLOCK_CHARS = 2000

export function textBlocks(text: string, size: number = BLOCK_CHARS): string[] {
  const blocks: string[] = []
  let start = 0
  while (start < text.length) {
    const newline = text.indexOf('\n', start)
    const lineEnd = newline < 0 ? text.length : newline + 1
    let end = Math.min(lineEnd, start + size)
    if (end < lineEnd) {
      // Cut after the last space of the block, if it has one.
      const space = text.lastIndexOf(' ', end - 1)
      if (space >= start) end = space + 1
    }
    blocks.push(text.slice(start, end))
    start = end
  }
  return blocks
}
