import { algaProject } from '../../vitest.shared';

export default algaProject('secrets-demo');
