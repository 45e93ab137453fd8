import { algaProject } from '../../vitest.shared';

export default algaProject('ui-demo');
