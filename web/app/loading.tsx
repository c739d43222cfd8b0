import { Loading } from "@/components/Status.tsx";

export default function PageLoading() {
  return <Loading />;
}
