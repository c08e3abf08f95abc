<?php

namespace App\Services;

use App\Models\Entity;
use App\Models\Page;
use App\Models\Post;

class EntityService
{
    // an Entity is a Page or a Post
    public function create(Entity $e): void
    {
        $e->forceFill(['created_by' => 1]);
        $e->created_by = 2;
    }

    public function publish(Page $page): void
    {
        $page->created_by = 3;
    }

    public function guess($thing): void
    {
        $thing->created_by = 4;
    }

    public function either(Page|Post $row): void
    {
        $row->created_by = 5;
    }
}
