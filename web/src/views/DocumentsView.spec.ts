import { screen } from '@testing-library/vue'
import { describe, expect, it, vi } from 'vitest'
import { api } from '@/api/client'
import { ApiError } from '@/api/errors'
import type { Agent } from '@/api/types'
import { renderView } from '@/test-utils/render'
import DocumentsView from './DocumentsView.vue'

const writer = { id: 'a1', name: 'Writer' } as Agent

describe('DocumentsView', () => {
  it('says documents are not available while the endpoint answers 404', async () => {
    vi.spyOn(api, 'getAgent').mockResolvedValue(writer)
    vi.spyOn(api, 'listDocuments').mockRejectedValue(new ApiError(404, { detail: 'Not found.' }))
    await renderView(DocumentsView, { path: '/agents/a1/documents', props: { id: 'a1' } })
    expect(await screen.findByText('Knowledge documents are not available yet.')).toBeInTheDocument()
    expect(screen.queryByLabelText(/File/)).not.toBeInTheDocument()
  })

  it('lists documents with their status once the endpoint exists', async () => {
    vi.spyOn(api, 'getAgent').mockResolvedValue(writer)
    vi.spyOn(api, 'listDocuments').mockResolvedValue([
      {
        id: 'd1',
        filename: 'notes.md',
        content_type: 'text/markdown',
        size: 2048,
        status: 'failed',
        error_message: 'Empty file.',
        created_at: '2025-01-01T00:00:00Z',
      },
    ])
    await renderView(DocumentsView, { path: '/agents/a1/documents', props: { id: 'a1' } })
    expect(await screen.findByRole('cell', { name: 'notes.md' })).toBeInTheDocument()
    expect(screen.getByText(/Failed/)).toHaveTextContent('Failed: Empty file.')
    expect(screen.getByLabelText('File (text, Markdown or PDF)')).toBeInTheDocument()
  })
})
