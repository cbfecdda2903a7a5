import { routeOptions, type RouteModule } from '../../route';
import { health } from '../../schemas/service';

const route: RouteModule = (app, deps) => {
  app.route({ ...routeOptions(health, deps.tokens), handler: async () => ({ ok: true as const }) });
};
export default route;
