import { createLocalHarness } from './helpers/contract-runner';
import { runnerContract } from './runner.contract';

runnerContract('worker', async (options) => createLocalHarness('worker', options));
