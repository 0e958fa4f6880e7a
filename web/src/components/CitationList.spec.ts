import { render, screen } from '@testing-library/vue'
import { describe, expect, it } from 'vitest'
import { createMemoryHistory, createRouter } from 'vue-router'
import type { JsonValue } from '@/api/types'
import CitationList from './CitationList.vue'

const router = createRouter({
  history: createMemoryHistory(),
  routes: [{ path: '/agents/:id/documents', name: 'agent-documents', component: { template: '<div />' } }],
})

const QUOTE = 'A running execution holds a lease that its worker renews with a heartbeat.'
const CITATIONS: JsonValue[] = [
  {
    index: 2,
    document_id: 'doc-7',
    filename: 'reliability.md',
    chunk: 0,
    score: 0.61,
    text: 'Stop works from anywhere. A running execution holds a lease that its worker renews with a heartbeat.',
    quote: QUOTE,
  },
  { unexpected: true },
]

describe('CitationList', () => {
  it('links each cited document and shows the sentence quoted, the whole passage behind a disclosure', () => {
    render(CitationList, { props: { citations: CITATIONS, agentId: 'agent-1' }, global: { plugins: [router] } })
    const link = screen.getByRole('link', { name: 'reliability.md' })
    expect(link).toHaveAttribute('href', '/agents/agent-1/documents#document-doc-7')
    expect(screen.getByText(QUOTE).tagName).toBe('BLOCKQUOTE')
    expect(screen.getByText('The whole passage').tagName).toBe('SUMMARY')
    expect(screen.getAllByRole('listitem')).toHaveLength(1) // not a citation: skipped
    expect(screen.getByRole('listitem')).toHaveAttribute('value', '2')
  })

  it('shows nothing without citations, and names the document without a link when the agent is not known', () => {
    const { container, unmount } = render(CitationList, { props: { citations: [] }, global: { plugins: [router] } })
    expect(container.textContent).toBe('')
    unmount()
    render(CitationList, { props: { citations: CITATIONS }, global: { plugins: [router] } })
    expect(screen.queryByRole('link')).not.toBeInTheDocument()
    expect(screen.getByText('reliability.md')).toBeInTheDocument()
  })
})
