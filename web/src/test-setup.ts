import '@testing-library/jest-dom/vitest'
import { cleanup } from '@testing-library/vue'
import { afterEach } from 'vitest'

// Testing Library only cleans up by itself when test globals are on; they are not.
afterEach(() => cleanup())
