import { fireEvent, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { EXEC_ID, execution } from '@/test-utils/events'
import { renderView } from '@/test-utils/render'
import RerunPanel from './RerunPanel.vue'

describe('RerunPanel', () => {
  it("opens on the run's input, and starts over from it after a cancel", async () => {
    await renderView(RerunPanel, {
      path: `/executions/${EXEC_ID}`,
      props: { execution: execution({ status: 'completed', input_data: { prompt: 'hi', n: 2 } }) },
    })
    await fireEvent.click(screen.getByRole('button', { name: 'Re-run…' }))
    const box = screen.getByRole('textbox', { name: /Input of the new run/ }) as HTMLTextAreaElement
    expect(box).toHaveFocus()
    expect(JSON.parse(box.value)).toEqual({ prompt: 'hi', n: 2 })
    await fireEvent.update(box, '[1, 2]')
    await fireEvent.click(screen.getByRole('button', { name: 'Run again' }))
    expect(await screen.findByText(/Enter a JSON object/)).toBeInTheDocument()

    await fireEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(screen.queryByRole('form', { name: 'Re-run' })).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Re-run…' })).toHaveFocus()
    await fireEvent.click(screen.getByRole('button', { name: 'Re-run…' }))
    const again = screen.getByRole('textbox', { name: /Input of the new run/ }) as HTMLTextAreaElement
    expect(JSON.parse(again.value)).toEqual({ prompt: 'hi', n: 2 })
    expect(screen.queryByText(/Enter a JSON object/)).not.toBeInTheDocument()
  })
})
