import { createLocalHarness } from './helpers/contract-runner';
import { runnerContract } from './runner.contract';

runnerContract('process', async (options) => createLocalHarness('process', options));
