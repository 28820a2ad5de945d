export const id = 'footprint';
export const title = 'footprint';
export const describe = '';
export async function run() {
  return [];
}
