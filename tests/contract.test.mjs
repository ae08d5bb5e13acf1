// Every provider against the one contract (tests/contract/suite.mjs): one line per provider.
import { contractSuite } from './contract/suite.mjs'

contractSuite('memory', () => import('./contract/memory.mjs'))
contractSuite('Durable Objects in workerd', () => import('./contract/durable-object.mjs'))
