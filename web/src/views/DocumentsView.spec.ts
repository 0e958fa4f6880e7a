import { screen } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import { agent, AGENT_ID } from '@/test-utils/events'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import DocumentsView from './DocumentsView.vue'

beforeEach(() => {
  server.use(http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())))
})

function openPage() {
  return renderView(DocumentsView, { path: `/agents/${AGENT_ID}/documents`, props: { id: AGENT_ID } })
}

describe('DocumentsView', () => {
  it('says documents are not available while the endpoint answers 404', async () => {
    server.use(
      http.get(`/api/agents/${AGENT_ID}/documents/`, () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
    )
    await openPage()
    expect(await screen.findByText('Knowledge documents are not available yet.')).toBeInTheDocument()
    expect(screen.queryByLabelText(/File/)).not.toBeInTheDocument()
  })

  it('lists documents with their status once the endpoint exists', async () => {
    server.use(
      http.get(`/api/agents/${AGENT_ID}/documents/`, () =>
        HttpResponse.json(
          paginated([
            {
              id: 'd1',
              agent: AGENT_ID,
              filename: 'notes.md',
              content_type: 'text/markdown',
              size: 2048,
              status: 'failed',
              error_message: 'Empty file.',
              chunks: 0,
              created_at: '2025-01-01T00:00:00Z',
              updated_at: '2025-01-01T00:00:00Z',
            },
          ]),
        ),
      ),
    )
    await openPage()
    expect(await screen.findByRole('cell', { name: 'notes.md' })).toBeInTheDocument()
    expect(screen.getByText(/Failed/)).toHaveTextContent('Failed: Empty file.')
    expect(screen.getByLabelText('File (text, Markdown or PDF)')).toBeInTheDocument()
  })
})
