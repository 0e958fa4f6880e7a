import { fireEvent, render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import ConfirmButton from './ConfirmButton.vue'

describe('ConfirmButton', () => {
  it('asks before it confirms, with the question as the group name', async () => {
    const { emitted } = render(ConfirmButton, { props: { prompt: 'Delete “Writer”?' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }))
    expect(emitted().confirm).toBeUndefined()
    const group = screen.getByRole('group', { name: 'Delete “Writer”?' })
    expect(group).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Yes, delete' })).toHaveFocus()
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }))
    expect(emitted().confirm).toHaveLength(1)
  })

  it('cancels with the Escape key and gives focus back', async () => {
    const { emitted } = render(ConfirmButton, { props: { prompt: 'Delete?' } })
    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }))
    await fireEvent.keyDown(screen.getByRole('button', { name: 'Yes, delete' }), { key: 'Escape' })
    expect(screen.queryByRole('group')).not.toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Delete' })).toHaveFocus()
    expect(emitted().confirm).toBeUndefined()
  })
})
