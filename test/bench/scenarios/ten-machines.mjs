export const id = 'ten-machines';
export const title = 'ten-machines';
export const describe = '';
export async function run() {
  return [];
}
