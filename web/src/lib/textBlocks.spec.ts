import { describe, expect, it } from 'vitest'
import { textBlocks } from './textBlocks'

describe('textBlocks', () => {
  it('splits a text into its lines, each keeping its newline', () => {
    expect(textBlocks('one\ntwo\n\nthree')).toEqual(['one\n', 'two\n', '\n', 'three'])
    expect(textBlocks('')).toEqual([])
  })

  it('cuts a long line after a space, or at the size when it has none', () => {
    expect(textBlocks('aaa bbb ccc', 8)).toEqual(['aaa bbb ', 'ccc'])
    expect(textBlocks('abcdefghij', 4)).toEqual(['abcd', 'efgh', 'ij'])
  })

  it('loses and repeats nothing', () => {
    const text = Array.from({ length: 5000 }, (_, index) => `tok${index + 1}${index % 700 === 0 ? '\n' : ' '}`).join('')
    const blocks = textBlocks(text)
    expect(blocks.join('')).toBe(text)
    expect(Math.max(...blocks.map((block) => block.length))).toBeLessThanOrEqual(2000)
  })
})
