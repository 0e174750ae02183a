/**
 * Every signed-in page of the app as the admin, at a phone, a tablet and a desktop width, in a real headless
 * Chromium against the whole product (the catalog and the checks are in screens.ts).
 */
import { describeRoleScreens } from './screens.ts';

describeRoleScreens('admin');
