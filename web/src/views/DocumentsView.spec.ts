import { fireEvent, screen, waitFor, within } from '@testing-library/vue'
import { http, HttpResponse } from 'msw'
import { beforeEach, describe, expect, it } from 'vitest'
import type { KnowledgeDocument } from '@/api/types'
import { agent, AGENT_ID, at } from '@/test-utils/events'
import { renderView } from '@/test-utils/render'
import { paginated, server } from '@/test-utils/server'
import DocumentsView from './DocumentsView.vue'

function document_(overrides: Partial<KnowledgeDocument> = {}): KnowledgeDocument {
  return {
    id: 'd1',
    agent: AGENT_ID,
    filename: 'notes.md',
    content_type: 'text/markdown',
    size: 2048,
    status: 'ready',
    error_message: '',
    chunks: 3,
    created_at: at(0),
    updated_at: at(0),
    ...overrides,
  }
}

beforeEach(() => {
  server.use(http.get(`/api/agents/${AGENT_ID}/`, () => HttpResponse.json(agent())))
})

function openPage() {
  return renderView(DocumentsView, { path: `/agents/${AGENT_ID}/documents`, props: { id: AGENT_ID } })
}

describe('DocumentsView', () => {
  it('lists documents with their status and the passages indexed from them', async () => {
    server.use(
      http.get(`/api/agents/${AGENT_ID}/documents/`, () =>
        HttpResponse.json(
          paginated([
            document_({ status: 'failed', error_message: 'Empty file.', chunks: 0 }),
            document_({ id: 'd2', filename: 'guide.md', status: 'ready', chunks: 12 }),
          ]),
        ),
      ),
    )
    await openPage()
    expect(await screen.findByRole('row', { name: /notes\.md/ })).toHaveTextContent('Failed: Empty file.')
    const ready = screen.getByRole('row', { name: /guide\.md/ })
    expect(within(ready).getByRole('cell', { name: 'Ready' })).toBeInTheDocument()
    expect(within(ready).getByRole('cell', { name: '12' })).toBeInTheDocument()
  })

  it('asks for a file before uploading anything', async () => {
    server.use(http.get(`/api/agents/${AGENT_ID}/documents/`, () => HttpResponse.json(paginated([]))))
    await openPage()
    await fireEvent.click(await screen.findByRole('button', { name: 'Upload' }))
    expect(screen.getByLabelText('File (text, Markdown or PDF)')).toHaveAccessibleDescription('Choose a file to upload.')
  })

  it('uploads a file and deletes it again', async () => {
    const stored: KnowledgeDocument[] = []
    server.use(
      http.get(`/api/agents/${AGENT_ID}/documents/`, () => HttpResponse.json(paginated(stored))),
      http.post(`/api/agents/${AGENT_ID}/documents/`, async ({ request }) => {
        const file = (await request.formData()).get('file') as File
        const created = document_({ id: 'd2', filename: file.name, size: file.size, status: 'pending', chunks: 0 })
        stored.push(created)
        return HttpResponse.json(created, { status: 201 })
      }),
      http.delete(`/api/agents/${AGENT_ID}/documents/:id/`, ({ params }) => {
        stored.splice(stored.findIndex((doc) => doc.id === params.id), 1)
        return new HttpResponse(null, { status: 204 })
      }),
    )
    await openPage()
    await screen.findByText('No documents yet.')
    const input = screen.getByLabelText('File (text, Markdown or PDF)')
    Object.defineProperty(input, 'files', { value: [new File(['# Harbour'], 'harbour.md', { type: 'text/markdown' })] })
    await fireEvent.click(screen.getByRole('button', { name: 'Upload' }))
    const row = await screen.findByRole('row', { name: /harbour\.md/ })
    expect(row).toHaveTextContent('Waiting')

    await fireEvent.click(screen.getByRole('button', { name: 'Delete' }))
    await fireEvent.click(screen.getByRole('button', { name: 'Yes, delete' }))
    await waitFor(() => expect(screen.queryByRole('row', { name: /harbour\.md/ })).not.toBeInTheDocument())
    expect(stored).toEqual([])
  })

  it('says what went wrong when the documents cannot be loaded', async () => {
    server.use(
      http.get(`/api/agents/${AGENT_ID}/documents/`, () => HttpResponse.json({ detail: 'Not found.' }, { status: 404 })),
    )
    await openPage()
    expect(await screen.findByRole('alert')).toHaveTextContent('Not found.')
  })
})
