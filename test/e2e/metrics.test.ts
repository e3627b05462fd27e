import { onEachBackend } from '../helpers/backends.ts';
import { metricsSuite } from './metrics.suite.ts';

onEachBackend('metrics', metricsSuite);
