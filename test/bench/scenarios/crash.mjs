export const id = 'crash';
export const title = 'crash';
export const describe = '';
export async function run() {
  return [];
}
