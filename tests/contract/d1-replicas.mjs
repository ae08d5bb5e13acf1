// The contract harness for D1Provider with readReplicas: each call through one request's D1 session (a real local D1 in workerd), bookmarks carried from call to call.
import { d1WorkerHarness } from './d1.mjs'

export default () => d1WorkerHarness('tests/contract/workers/d1-replicas.js', 'contract_d1_replicas')
