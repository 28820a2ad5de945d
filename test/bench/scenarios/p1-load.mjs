export const id = 'p1-load';
export const title = 'p1-load';
export const describe = '';
export async function run() {
  return [];
}
