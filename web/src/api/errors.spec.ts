// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { ApiError, describeError, flattenErrors } from './errors'

describe('API errors in plain words', () => {
  it('flattens DRF field errors, nested JSON field errors and bare lists', () => {
    expect(
      flattenErrors({
        name: ['This field is required.'],
        config: { steps: ['Ensure this value is greater than or equal to 1.'] },
        non_field_errors: ['Unable to log in.'],
      }),
    ).toEqual({
      name: ['This field is required.'],
      'config.steps': ['Ensure this value is greater than or equal to 1.'],
      non_field_errors: ['Unable to log in.'],
    })
    expect(flattenErrors(['Something is off.'])).toEqual({ non_field_errors: ['Something is off.'] })
    expect(flattenErrors({ detail: 'Nope.' })).toEqual({ non_field_errors: ['Nope.'] })
  })

  it('says what happened for each kind of failure', () => {
    expect(new ApiError(400, { non_field_errors: ['Bad login.'] }).message).toBe('Bad login.')
    expect(new ApiError(400, { name: ['x'] }).message).toBe('Please correct the highlighted fields.')
    expect(new ApiError(404, { detail: 'Not found.' }).message).toBe('Not found.')
    expect(new ApiError(0, null).message).toMatch(/cannot reach the server/i)
    expect(new ApiError(502, '<html>').message).toBe('The server had a problem (502). Please try again.')
    expect(new ApiError(409, { non_field_errors: ['The agent is inactive.'] }).message).toBe('The agent is inactive.')
    expect(new ApiError(409, null).message).toBe('Request failed (409).')
    expect(describeError(new Error('plain'))).toBe('plain')
  })

  it('exposes field errors only for a 400', () => {
    expect(new ApiError(400, { name: ['x'] }).fieldErrors).toEqual({ name: ['x'] })
    expect(new ApiError(500, { name: ['x'] }).fieldErrors).toEqual({})
  })
})
