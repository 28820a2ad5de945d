export const id = 'latency';
export const title = 'latency';
export const describe = '';
export async function run() {
  return [];
}
