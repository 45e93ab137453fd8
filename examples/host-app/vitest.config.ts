import { algaProject } from '../../vitest.shared';

export default algaProject('host-app');
