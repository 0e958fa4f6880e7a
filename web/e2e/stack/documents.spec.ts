/**
 * Knowledge documents against the real stack: upload a Markdown file, watch
 * the worker index it on the agent server, then delete it.
 */
import { expect, test } from '@playwright/test'
import { logIn, shot } from '../support'
import { createAgentViaApi, password, requireStack, uniqueName, username } from './stack'

test.beforeEach(requireStack)

test('upload a document, see it indexed, delete it', async ({ page }) => {
  await logIn(page, username, password)
  const agentId = await createAgentViaApi(page, uniqueName('Librarian'), { steps: 1, tokens: 1, delay_ms: 0 })
  await page.goto(`/agents/${agentId}/documents`)
  await expect(page.getByText('No documents yet.')).toBeVisible()

  await page.getByLabel('File (text, Markdown or PDF)').setInputFiles({
    name: 'harbour.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from('# Harbour\n\nThe harbour lamp is cleaned every second Tuesday.\n'),
  })
  await page.getByRole('button', { name: 'Upload' }).click()
  const row = page.getByRole('row', { name: /harbour\.md/ })
  await expect(row).toBeVisible()
  // Indexing runs on a worker and the agent server; the page polls until it is done.
  await expect(row.getByRole('cell', { name: 'Ready' })).toBeVisible({ timeout: 60_000 })
  await shot(page, 'stack-documents-indexed')

  await row.getByRole('button', { name: 'Delete' }).click()
  await row.getByRole('button', { name: 'Yes, delete' }).click()
  await expect(page.getByText('No documents yet.')).toBeVisible()
})
