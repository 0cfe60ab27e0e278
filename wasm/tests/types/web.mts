// The web package's declarations as a TypeScript caller uses them (see node.ts): the default
// export `init()` first, then the same `Balancer`.
import init, { Balancer, type Picked } from "../web/pkg/meshlb.js";

await init();
const balancer = new Balancer("input");
const picked: Picked | null = balancer.start(new Uint8Array([7]));
// @ts-expect-error: `finish` takes what `start()` returned or its ticket
balancer.finish("x");
export const used = [picked, balancer.pickIndex()];
