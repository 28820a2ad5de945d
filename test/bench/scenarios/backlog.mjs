export const id = 'backlog';
export const title = 'backlog';
export const describe = '';
export async function run() {
  return [];
}
